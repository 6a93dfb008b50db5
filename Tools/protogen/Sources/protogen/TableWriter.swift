import Foundation

let protoScalars: Set<String> = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
    "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
]

/// Renders the loaded packages as the table text that `KubernetesProtobufTable` embeds (format in `tableFormat`).
struct TableWriter {
    var packages: [LoadedPackage]

    func render() throws -> String {
        let sorted = packages.sorted { $0.alias < $1.alias }
        var aliasByPackage: [String: String] = [:]
        var wrappers: Set<String> = []
        for package in sorted {
            if let existing = aliasByPackage[package.file.package] {
                throw Failure("package \(package.file.package) loaded twice (\(existing))")
            }
            aliasByPackage[package.file.package] = package.alias
            for message in package.file.messages where message.isNullableWrapper {
                wrappers.insert("\(package.file.package).\(message.name)")
            }
        }
        guard Set(aliasByPackage.values).count == aliasByPackage.count else { throw Failure("alias clash") }

        var lines: [String] = []
        for package in sorted {
            lines.append("@\(package.alias) \(package.file.package) \(package.apiVersion ?? "-")")
        }
        var unmatched: [String] = []
        for package in sorted {
            for message in package.file.messages {
                let goFields = package.goStructs[message.name] ?? [:]
                // Go's JSON writes fields in declaration order; fields Go does not know keep proto order, last.
                let ordered = message.fields.enumerated().sorted { a, b in
                    let ka = goFields[a.element.number].map { ($0.declarationIndex, 0) } ?? (Int.max, a.offset)
                    let kb = goFields[b.element.number].map { ($0.declarationIndex, 0) } ?? (Int.max, b.offset)
                    return ka < kb
                }.map(\.element)
                var rendered: [String] = []
                for field in ordered {
                    let type = try resolve(field.type, in: package.file.package, aliases: aliasByPackage)
                    let fullType = type.full
                    var typeToken: String
                    switch field.label {
                    case .optional: typeToken = type.token
                    case .repeated: typeToken = "[]" + type.token
                    case .map(let key):
                        guard protoScalars.contains(key) else { throw Failure("map key \(key) is not a scalar") }
                        typeToken = "map[\(key)]\(type.token)"
                    }
                    var jsonName = field.name
                    var flags = ""
                    let isScalar = protoScalars.contains(field.type)
                    if let go = goFields[field.number] {
                        if !go.jsonName.isEmpty, go.jsonName != "-" { jsonName = go.jsonName }
                        if go.isInline, !isScalar { flags += "i" }
                        let collection: Bool
                        switch field.label {
                        case .optional: collection = fullType.map(wrappers.contains) ?? false
                        case .repeated, .map: collection = true
                        }
                        // omitempty leaves structs alone and pointers are written whenever they are set.
                        if go.omitEmpty, !go.isPointer, isScalar || collection { flags += "o" }
                    } else {
                        unmatched.append("\(package.file.package).\(message.name).\(field.name)")
                        if field.type == "string" || field.type == "bytes", case .optional = field.label {
                            flags += "o"
                        }
                    }
                    guard !jsonName.contains(where: { $0 == " " || $0 == ";" || $0 == ":" }) else {
                        throw Failure("JSON name \(jsonName) cannot be written to the table")
                    }
                    rendered.append("\(field.number) \(jsonName) \(typeToken)" + (flags.isEmpty ? "" : " " + flags))
                }
                let header = "\(package.alias).\(message.name)" + (message.isNullableWrapper ? " w" : "")
                lines.append(rendered.isEmpty ? header + ":" : header + ": " + rendered.joined(separator: "; "))
            }
        }
        if !unmatched.isEmpty {
            let list = unmatched.joined(separator: ", ")
            FileHandle.standardError.write(Data("protogen: no Go field for (proto names kept): \(list)\n".utf8))
        }
        return lines.joined(separator: "\n")
    }

    /// The table token for a type (`string`, `corev1.Container`) and, for messages, its full proto name.
    private func resolve(
        _ type: String, in package: String, aliases: [String: String]
    ) throws -> (token: String, full: String?) {
        if protoScalars.contains(type) { return (type, nil) }
        let full = type.hasPrefix(".") ? String(type.dropFirst()) : "\(package).\(type)"
        guard let dot = full.lastIndex(of: "."), let alias = aliases[String(full[..<dot])] else {
            throw Failure("unresolved type \(type) in \(package)")
        }
        let known = packages.contains { $0.file.package == String(full[..<dot]) &&
            $0.file.messages.contains { $0.name == String(full[full.index(after: dot)...]) } }
        guard known else { throw Failure("unknown message \(full)") }
        return ("\(alias).\(full[full.index(after: dot)...])", full)
    }
}

let tableFormat = """
    // Format, one entry a line:
    //   @ALIAS PROTO-PACKAGE API-VERSION      a package; API-VERSION is `-` for packages that are no group-version
    //   ALIAS.MESSAGE[ w]: FIELD; FIELD; …    a message; `w` marks a wrapper of a Go named slice, whose JSON is
    //                                         the array in its `items`
    // FIELD is `NUMBER JSON-NAME TYPE[ FLAGS]`, in the order Go's encoding/json writes the fields, where
    //   TYPE is a proto scalar (int32, string, bytes, …) or ALIAS.MESSAGE, prefixed by `[]` when repeated,
    //   or `map[KEY]VALUE`; FLAGS: `o` omitted when empty (Go `omitempty` on a non-pointer scalar, slice or map),
    //   `i` inline (an embedded Go struct whose members Go's JSON writes into the enclosing object).
    """

func renderSwiftFile(table: String, sourceVersion: String) -> String {
    let indented = table.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
    return """
        // Generated by Tools/protogen. Do not edit by hand.
        //
        // Derived from the upstream Kubernetes protobuf definitions: the generated.proto files, and the json and
        // protobuf struct tags of the Go types beside them, in kubernetes/api, kubernetes/apimachinery and
        // kubernetes/apiextensions-apiserver at \(sourceVersion). Copyright The Kubernetes Authors, licensed under
        // the Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
        //
        // To regenerate, check those three repositories out at one tag and run (see Tools/protogen/README.md):
        //   swift run --package-path Tools/protogen protogen --api API --apimachinery APIMACHINERY \\
        //     --apiextensions-apiserver APIEXTENSIONS --source-version TAG \\
        //     --output Sources/SkiffServerCodecs/Protobuf/Generated/KubernetesProtobufTable.swift
        //
        \(tableFormat)

        /// The message descriptions of the served Kubernetes group-versions, parsed once on first use.
        enum KubernetesProtobufTable {
            static let sourceVersion = "\(sourceVersion)"

            static let text = #\"\"\"
        \(indented)
            \"\"\"#
        }

        """
}
