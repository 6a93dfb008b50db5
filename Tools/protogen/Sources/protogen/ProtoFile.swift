import Foundation

/// One `generated.proto` file as go-to-protobuf writes it: a package, imports and flat messages.
struct ProtoFile {
    var package = ""
    var imports: [String] = []
    var messages: [ProtoMessage] = []
}

struct ProtoMessage {
    var name: String
    var fields: [ProtoField] = []
    /// `+protobuf.nullable=true`: the message wraps a Go named slice (`Verbs`, `ExtraValue`) in its `items` field.
    var isNullableWrapper = false
}

struct ProtoField {
    enum Label { case optional, repeated, map(key: String) }
    var label: Label
    /// A scalar type name (`int32`, `string`, …) or a message reference (`Foo` or `.k8s.io.pkg.Foo`).
    var type: String
    var name: String
    var number: Int
}

struct ProtoParseError: Error, CustomStringConvertible {
    var path: String
    var line: Int
    var message: String
    var description: String { "\(path):\(line): \(message)" }
}

/// Reads the restricted proto2 dialect of `generated.proto`: no nesting, options, oneofs or enums.
/// Anything else is an error, so an upstream change in shape is noticed instead of silently mistranslated.
func parseProtoFile(_ text: String, path: String) throws -> ProtoFile {
    var file = ProtoFile()
    var current: ProtoMessage?
    var comments: [String] = []
    var inBlockComment = false
    for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = rawLine.trimmingCharacters(in: .whitespaces)
        func fail(_ message: String) -> ProtoParseError {
            ProtoParseError(path: path, line: offset + 1, message: "\(message): \(line)")
        }
        if inBlockComment {
            if line.contains("*/") { inBlockComment = false }
            continue
        }
        if line.hasPrefix("/*") {
            inBlockComment = !line.contains("*/")
            continue
        }
        if line.hasPrefix("//") {
            comments.append(String(line.dropFirst(2)).trimmingCharacters(in: .whitespaces))
            continue
        }
        if line.isEmpty { continue }
        defer { comments = [] }
        if var message = current {
            if line == "}" {
                file.messages.append(message)
                current = nil
                continue
            }
            message.fields.append(try parseField(line, fail: fail))
            current = message
            continue
        }
        if line.hasPrefix("syntax ") || line.hasPrefix("option ") { continue }
        if line.hasPrefix("package ") {
            file.package = String(line.dropFirst("package ".count).dropLast())
        } else if line.hasPrefix("import ") {
            file.imports.append(String(line.dropFirst("import ".count).dropLast()).trimmingCharacters(in: ["\""]))
        } else if line.hasPrefix("message "), line.hasSuffix("{") {
            let name = line.dropFirst("message ".count).dropLast().trimmingCharacters(in: .whitespaces)
            current = ProtoMessage(name: name, isNullableWrapper: comments.contains("+protobuf.nullable=true"))
        } else {
            throw fail("unexpected line")
        }
    }
    if current != nil { throw ProtoParseError(path: path, line: 0, message: "unterminated message") }
    return file
}

private func parseField(_ line: String, fail: (String) -> ProtoParseError) throws -> ProtoField {
    // `optional T name = N;`, `repeated T name = N;` or `map<K, V> name = N;`
    guard line.hasSuffix(";"), let equals = line.firstIndex(of: "=") else { throw fail("not a field") }
    guard let number = Int(line[line.index(after: equals)...].dropLast().trimmingCharacters(in: .whitespaces)) else {
        throw fail("bad field number")
    }
    let declaration = line[..<equals].trimmingCharacters(in: .whitespaces)
    if declaration.hasPrefix("map<") {
        guard let close = declaration.firstIndex(of: ">") else { throw fail("bad map") }
        let kinds = declaration[declaration.index(declaration.startIndex, offsetBy: 4)..<close]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let name = declaration[declaration.index(after: close)...].trimmingCharacters(in: .whitespaces)
        guard kinds.count == 2, !name.isEmpty else { throw fail("bad map") }
        return ProtoField(label: .map(key: kinds[0]), type: kinds[1], name: name, number: number)
    }
    let parts = declaration.split(separator: " ").map(String.init)
    guard parts.count == 3 else { throw fail("bad field") }
    let label: ProtoField.Label
    switch parts[0] {
    case "optional", "required": label = .optional
    case "repeated": label = .repeated
    default: throw fail("unknown label")
    }
    return ProtoField(label: label, type: parts[1], name: parts[2], number: number)
}
