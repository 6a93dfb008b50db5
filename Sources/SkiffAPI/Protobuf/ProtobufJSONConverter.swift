/// Turns protobuf-encoded Kubernetes messages into the JSON that Go's encoding/json writes for the decoded Go value.
///
/// A message is read in two steps: its fields are first collected as `Entry`s (wire-type checked, unknown fields
/// skipped), then sorted into the table's field order, which is Go's declaration order, and converted group by
/// group. Collecting first lets repeated occurrences of a singular message merge, as protobuf requires.
struct ProtobufJSONConverter {
    let schema: ProtobufSchema
    let bytes: UnsafeBufferPointer<UInt8>

    /// Deeper nesting than any Kubernetes object needs (CRD schemas included) is refused, not recursed into.
    static let maximumDepth = 128

    struct Entry {
        /// Index of the field in its message's `fields`.
        var slot: Int32
        /// Wire order, to keep repeated values in order after sorting by slot.
        var sequence: Int32
        var wireType: ProtobufWireType
        /// The value of a varint or fixed field.
        var value: UInt64
        /// The bytes of a length-delimited field.
        var range: Range<Int>
    }

    // MARK: - Collecting

    func collectEntries(
        of message: ProtobufMessageDescriptor, parts: some Sequence<Range<Int>>
    ) throws(KubernetesProtobufError) -> [Entry] {
        var entries: [Entry] = []
        for part in parts {
            var reader = ProtobufWireReader(bytes, range: part)
            while let (number, wireType) = try reader.readTag() {
                let tagOffset = reader.offset
                guard let slot = message.slot(forNumber: number) else {
                    try reader.skipValue(of: wireType, number: number)
                    continue
                }
                let field = message.fields[slot]
                var entry = Entry(slot: Int32(slot), sequence: Int32(truncatingIfNeeded: entries.count),
                                  wireType: wireType, value: 0, range: 0..<0)
                let expected: ProtobufWireType
                switch field.type {
                case .scalar(let scalar) where field.mapKey == nil: expected = scalar.wireType
                default: expected = .lengthDelimited
                }
                if wireType == expected || (field.isRepeated && wireType == .lengthDelimited) {
                    switch wireType {
                    case .varint: entry.value = try reader.readVarint()
                    case .fixed64: entry.value = try reader.readFixed64()
                    case .fixed32: entry.value = try reader.readFixed32()
                    case .lengthDelimited: entry.range = try reader.readLengthDelimited()
                    case .startGroup, .endGroup: throw wrongWireType(wireType, field, message, at: tagOffset)
                    }
                } else {
                    throw wrongWireType(wireType, field, message, at: tagOffset)
                }
                entries.append(entry)
            }
        }
        // Usually already in order (Go writes fields by number, which mostly follows declaration order).
        if !entries.isSortedBySlot {
            entries.sort { ($0.slot, $0.sequence) < ($1.slot, $1.sequence) }
        }
        return entries
    }

    private func wrongWireType(
        _ wireType: ProtobufWireType, _ field: ProtobufFieldDescriptor, _ message: ProtobufMessageDescriptor,
        at offset: Int
    ) -> KubernetesProtobufError {
        .malformed("wrong wire type \(wireType.rawValue) for field \(message.name).\(field.jsonName)", at: offset)
    }

    // MARK: - Converting

    /// The JSON of a message made of the concatenation of `parts`; `nil` where Go writes `null` (the zero time,
    /// an empty raw extension), which an object leaves out.
    func convertMessage(
        _ index: Int, parts: some Collection<Range<Int>>, depth: Int
    ) throws(KubernetesProtobufError) -> JSONValue? {
        let message = schema.messages[index]
        guard depth < Self.maximumDepth else {
            throw KubernetesProtobufError(.invalidValue, "protobuf body nests deeper than \(Self.maximumDepth) messages")
        }
        let entries = try collectEntries(of: message, parts: parts)
        switch message.conversion {
        case .object:
            return .object(try convertObject(message, entries: entries, depth: depth))
        case .wrapper:
            return try groupValue(number: 1, of: message, entries: entries, depth: depth) ?? .array([])
        default:
            let isEmpty = parts.allSatisfy(\.isEmpty)
            return try convertSpecial(message, entries: entries, isEmpty: isEmpty, depth: depth)
        }
    }

    func convertObject(
        _ message: ProtobufMessageDescriptor, entries: [Entry], depth: Int
    ) throws(KubernetesProtobufError) -> JSONObject {
        var object = JSONObject(minimumCapacity: entries.count)
        var start = 0
        while start < entries.count {
            let slot = entries[start].slot
            var end = start + 1
            while end < entries.count, entries[end].slot == slot { end += 1 }
            let field = message.fields[Int(slot)]
            let value = try convertGroup(field, entries: entries[start..<end], depth: depth)
            start = end
            guard let value else { continue }
            if field.omitEmpty, value.isGoEmpty { continue }
            if field.isInline, case .object(let members) = value {
                // The enclosing struct's own fields win over promoted ones, as in Go.
                for (key, member) in members where object[key] == nil { object[key] = member }
                continue
            }
            object[field.jsonName] = value
        }
        return object
    }

    /// The value of the field numbered `number` of a message whose entries were collected, or `nil` if absent.
    func groupValue(
        number: Int, of message: ProtobufMessageDescriptor, entries: [Entry], depth: Int
    ) throws(KubernetesProtobufError) -> JSONValue? {
        guard let slot = message.slot(forNumber: number) else { return nil }
        let group = entries.lazy.filter { $0.slot == Int32(slot) }
        guard !group.isEmpty else { return nil }
        return try convertGroup(message.fields[slot], entries: ArraySlice(group), depth: depth)
    }

    /// The value of all occurrences of one field: a map, an array, or the singular (merged or last) value.
    func convertGroup(
        _ field: ProtobufFieldDescriptor, entries: ArraySlice<Entry>, depth: Int
    ) throws(KubernetesProtobufError) -> JSONValue? {
        if let key = field.mapKey {
            return .object(try convertMap(field, key: key, entries: entries, depth: depth))
        }
        switch field.type {
        case .scalar(let scalar):
            if field.isRepeated {
                var array: [JSONValue] = []
                array.reserveCapacity(entries.count)
                for entry in entries {
                    if entry.wireType == .lengthDelimited, scalar.wireType != .lengthDelimited {
                        try appendPacked(scalar, range: entry.range, to: &array)
                    } else {
                        array.append(try scalarValue(scalar, entry))
                    }
                }
                return .array(array)
            }
            guard let last = entries.last else { return nil }
            return try scalarValue(scalar, last)
        case .message(let index):
            if field.isRepeated {
                var array: [JSONValue] = []
                array.reserveCapacity(entries.count)
                for entry in entries {
                    array.append(try convertMessage(index, parts: CollectionOfOne(entry.range), depth: depth + 1) ?? .null)
                }
                return .array(array)
            }
            if entries.count == 1, let only = entries.first {
                return try convertMessage(index, parts: CollectionOfOne(only.range), depth: depth + 1)
            }
            return try convertMessage(index, parts: entries.map(\.range), depth: depth + 1)
        }
    }

    private func convertMap(
        _ field: ProtobufFieldDescriptor, key keyType: ProtobufScalar, entries: ArraySlice<Entry>, depth: Int
    ) throws(KubernetesProtobufError) -> JSONObject {
        var object = JSONObject(minimumCapacity: entries.count)
        for entry in entries {
            var reader = ProtobufWireReader(bytes, range: entry.range)
            var key: JSONValue?
            var value: JSONValue?
            var valueRange: Range<Int>?
            while let (number, wireType) = try reader.readTag() {
                let offset = reader.offset
                switch number {
                case 1 where wireType == keyType.wireType:
                    key = try scalarValue(keyType, readEntry(&reader, wireType))
                case 2:
                    switch field.type {
                    case .scalar(let scalar) where wireType == scalar.wireType:
                        value = try scalarValue(scalar, readEntry(&reader, wireType))
                    case .message where wireType == .lengthDelimited:
                        valueRange = try reader.readLengthDelimited()
                    default:
                        throw .malformed("wrong wire type \(wireType.rawValue) for a value of map \(field.jsonName)",
                                         at: offset)
                    }
                case 1:
                    throw .malformed("wrong wire type \(wireType.rawValue) for a key of map \(field.jsonName)",
                                     at: offset)
                default:
                    try reader.skipValue(of: wireType, number: number)
                }
            }
            if case .message(let index) = field.type {
                // A missing value is the zero message, as in Go's generated code.
                value = try convertMessage(index, parts: CollectionOfOne(valueRange ?? 0..<0), depth: depth + 1) ?? .null
            }
            let keyString: String
            switch key {
            case .string(let text): keyString = text
            case .int(let number): keyString = String(number)
            case .bool(let flag): keyString = String(flag)
            default: keyString = ""
            }
            object[keyString] = value ?? zeroValue(of: field.type)
        }
        // Go's encoding/json writes map keys sorted.
        object.sortKeys()
        return object
    }

    private func readEntry(
        _ reader: inout ProtobufWireReader, _ wireType: ProtobufWireType
    ) throws(KubernetesProtobufError) -> Entry {
        var entry = Entry(slot: 0, sequence: 0, wireType: wireType, value: 0, range: 0..<0)
        switch wireType {
        case .varint: entry.value = try reader.readVarint()
        case .fixed64: entry.value = try reader.readFixed64()
        case .fixed32: entry.value = try reader.readFixed32()
        case .lengthDelimited: entry.range = try reader.readLengthDelimited()
        case .startGroup, .endGroup: throw .malformed("unexpected group", at: reader.offset)
        }
        return entry
    }

    private func zeroValue(of type: ProtobufFieldType) -> JSONValue {
        switch type {
        case .scalar(.string), .scalar(.bytes): return .string("")
        case .scalar(.bool): return .bool(false)
        case .scalar(.double), .scalar(.float): return .double(0)
        case .scalar: return .int(0)
        case .message: return .null
        }
    }
}

extension [ProtobufJSONConverter.Entry] {
    fileprivate var isSortedBySlot: Bool {
        var previous: Int32 = -1
        for entry in self {
            if entry.slot < previous { return false }
            previous = entry.slot
        }
        return true
    }
}

extension JSONValue {
    /// What Go's `omitempty` calls empty: false, 0, "", and empty slices and maps.
    var isGoEmpty: Bool {
        switch self {
        case .null: return true
        case .bool(let flag): return !flag
        case .int(let number): return number == 0
        case .double(let number): return number == 0
        case .string(let text): return text.isEmpty
        case .array(let elements): return elements.isEmpty
        case .object(let members): return members.isEmpty
        }
    }
}
