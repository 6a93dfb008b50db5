import SkiffAPI

extension ProtobufSchema {
    /// Parses the table format that Tools/protogen writes (described at the top of `KubernetesProtobufTable.swift`).
    ///
    /// Works on UTF-8 bytes: this runs on the first protobuf request, and character-level string splitting
    /// would cost it tens of milliseconds.
    init(table: String) throws(KubernetesProtobufError) {
        let bytes = Array(table.utf8)
        typealias Slice = ArraySlice<UInt8>
        func text(_ slice: Slice) -> String { String(decoding: slice, as: UTF8.self) }
        func broken(_ line: Slice, _ why: String) -> KubernetesProtobufError {
            KubernetesProtobufError(
                .internalTable, "the protobuf message table is invalid (\(why)): \(text(line.prefix(120)))")
        }
        let space = UInt8(ascii: " ")
        var packageByAlias: [Slice: String] = [:]
        var packageByAPIVersion: [String: String] = [:]
        var messageLines: [(fullName: String, isWrapper: Bool, fields: Slice, line: Slice)] = []
        var indexByFullName: [String: Int] = [:]

        // First pass: packages and message names, so field types can refer to any message.
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            if line.first == UInt8(ascii: "@") {
                let parts = line.dropFirst().split(separator: space)
                guard parts.count == 3 else { throw broken(line, "package line") }
                packageByAlias[parts[0]] = text(parts[1])
                if parts[2] != [UInt8(ascii: "-")] { packageByAPIVersion[text(parts[2])] = text(parts[1]) }
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw broken(line, "no colon") }
            var header = line[..<colon]
            let isWrapper = header.count > 2 && header.suffix(2).elementsEqual(" w".utf8)
            if isWrapper { header = header.dropLast(2) }
            guard let dot = header.firstIndex(of: UInt8(ascii: ".")), let package = packageByAlias[header[..<dot]]
            else { throw broken(line, "unknown package alias") }
            let fullName = package + text(header[dot...])
            guard indexByFullName.updateValue(messageLines.count, forKey: fullName) == nil else {
                throw broken(line, "duplicate message")
            }
            messageLines.append((fullName, isWrapper, line[(colon + 1)...], line))
        }

        func resolve(_ token: Slice, _ line: Slice) throws(KubernetesProtobufError) -> ProtobufFieldType {
            if let scalar = ProtobufScalar(name: Substring(text(token))) { return .scalar(scalar) }
            guard let dot = token.firstIndex(of: UInt8(ascii: ".")), let package = packageByAlias[token[..<dot]],
                let index = indexByFullName[package + text(token[dot...])]
            else { throw broken(line, "unknown type \(text(token))") }
            return .message(index)
        }

        var messages: [ProtobufMessageDescriptor] = []
        messages.reserveCapacity(messageLines.count)
        for entry in messageLines {
            var fields: [ProtobufFieldDescriptor] = []
            for fieldText in entry.fields.split(separator: UInt8(ascii: ";")) {
                let parts = fieldText.split(separator: space)
                guard parts.count == 3 || parts.count == 4, let number = Int(text(parts[0])), number > 0 else {
                    throw broken(entry.line, "field \(text(fieldText))")
                }
                var typeToken = parts[2]
                var isRepeated = false
                var mapKey: ProtobufScalar?
                if typeToken.starts(with: "[]".utf8) {
                    isRepeated = true
                    typeToken = typeToken.dropFirst(2)
                } else if typeToken.starts(with: "map[".utf8), let close = typeToken.firstIndex(of: UInt8(ascii: "]")) {
                    guard let key = ProtobufScalar(name: Substring(text(typeToken[(typeToken.startIndex + 4)..<close])))
                    else { throw broken(entry.line, "map key of \(text(fieldText))") }
                    mapKey = key
                    typeToken = typeToken[(close + 1)...]
                }
                let flags = parts.count == 4 ? parts[3] : []
                fields.append(ProtobufFieldDescriptor(
                    number: number, jsonName: text(parts[1]), type: try resolve(typeToken, entry.line),
                    isRepeated: isRepeated, mapKey: mapKey, omitEmpty: flags.contains(UInt8(ascii: "o")),
                    isInline: flags.contains(UInt8(ascii: "i"))))
            }
            var largest = 0
            for field in fields { largest = max(largest, field.number) }
            guard largest < 10_000 else { throw broken(entry.line, "field number \(largest) too large for the index") }
            var slots = [Int32](repeating: -1, count: largest + 1)
            for (slot, field) in fields.enumerated() {
                guard slots[field.number] < 0 else { throw broken(entry.line, "duplicate field \(field.number)") }
                slots[field.number] = Int32(slot)
            }
            messages.append(ProtobufMessageDescriptor(
                fullName: entry.fullName,
                conversion: ProtobufMessageConversion(fullName: entry.fullName, isWrapper: entry.isWrapper),
                fields: fields, slotByNumber: slots))
        }
        self.messages = messages
        self.messageIndexByFullName = indexByFullName
        self.packageByAPIVersion = packageByAPIVersion
    }
}
