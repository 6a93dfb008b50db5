import Foundation

/// What the Go declaration of one protobuf-tagged struct field says about its JSON form.
///
/// The `.proto` files lose this: JSON names such as `x-kubernetes-list-type` or `$ref`, `omitempty`,
/// pointers (a pointer to zero is still written) and embedded structs whose members Go inlines.
struct GoField {
    var goName: String
    var goType: String
    var embedded: Bool
    /// The name in the `json` tag; empty when the tag gives none (`json:""`, `json:",inline"` or no tag).
    var jsonName: String
    var omitEmpty: Bool
    var protobufNumber: Int
    /// Position among the struct's protobuf fields: Go's JSON writes fields in declaration order.
    var declarationIndex = 0

    var isPointer: Bool { goType.hasPrefix("*") }
    /// Go's encoding/json inlines an embedded struct that has no JSON name of its own.
    var isInline: Bool { embedded && jsonName.isEmpty }
}

/// Struct name → protobuf field number → field, read from the hand-written Go files of one package.
typealias GoStructs = [String: [Int: GoField]]

func readGoStructs(directory: URL) throws -> GoStructs {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    var structs: GoStructs = [:]
    for name in names where name.hasSuffix(".go") {
        if name.hasSuffix("_test.go") || name.hasSuffix(".pb.go") || name.hasPrefix("zz_generated") { continue }
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        parseGoStructs(text, into: &structs)
    }
    return structs
}

private func parseGoStructs(_ text: String, into structs: inout GoStructs) {
    var currentStruct: String?
    for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let line = String(rawLine)
        if line.hasPrefix("type "), line.hasSuffix("struct {") {
            currentStruct = line.split(separator: " ")[1].description
            continue
        }
        if line.hasPrefix("}") {
            currentStruct = nil
            continue
        }
        guard let structName = currentStruct, var field = parseGoField(line) else { continue }
        field.declarationIndex = structs[structName]?.count ?? 0
        structs[structName, default: [:]][field.protobufNumber] = field
    }
}

private func parseGoField(_ line: String) -> GoField? {
    guard let tagStart = line.firstIndex(of: "`") else { return nil }
    let declaration = line[..<tagStart].trimmingCharacters(in: .whitespaces)
    if declaration.hasPrefix("//") { return nil }
    let tag = line[line.index(after: tagStart)...].prefix { $0 != "`" }
    guard let protobuf = tagValue(String(tag), key: "protobuf"), protobuf != "-" else { return nil }
    let protobufParts = protobuf.split(separator: ",")
    guard protobufParts.count >= 2, let number = Int(protobufParts[1]) else { return nil }
    let tokens = declaration.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    guard let first = tokens.first else { return nil }
    let embedded = tokens.count == 1
    let goType = embedded ? first : tokens.dropFirst().joined(separator: " ")
    let goName = embedded ? String(first.split(separator: ".").last ?? "").trimmingCharacters(in: ["*"]) : first
    var jsonName = ""
    var omitEmpty = false
    if let json = tagValue(String(tag), key: "json") {
        let parts = json.split(separator: ",", omittingEmptySubsequences: false)
        jsonName = String(parts.first ?? "")
        omitEmpty = parts.dropFirst().contains("omitempty")
    } else if !embedded {
        jsonName = goName
    }
    return GoField(goName: goName, goType: goType, embedded: embedded, jsonName: jsonName,
                   omitEmpty: omitEmpty, protobufNumber: number)
}

/// The value of `key:"value"` in a Go struct tag.
private func tagValue(_ tag: String, key: String) -> String? {
    guard let range = tag.range(of: "\(key):\"") else { return nil }
    if range.lowerBound > tag.startIndex, tag[tag.index(before: range.lowerBound)] != " " { return nil }
    let rest = tag[range.upperBound...]
    guard let end = rest.firstIndex(of: "\"") else { return nil }
    return String(rest[..<end])
}
