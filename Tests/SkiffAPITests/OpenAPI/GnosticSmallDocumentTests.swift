import SkiffAPI
@testable import SkiffServerCodecs
import Testing

private func encode(_ json: String) throws(GnosticEncodingError) -> [UInt8] {
    let result = Array(json.utf8).withUnsafeBufferPointer { buffer in
        Result { () throws(GnosticEncodingError) in try GnosticEncoder.encode(swagger: buffer) }
    }
    return try result.get()
}

/// The YAML text gnostic stores for `valueJSON` as a vendor extension of a definition.
private func extensionYAML(_ valueJSON: String) throws -> String? {
    let bytes = try encode(#"{"swagger":"2.0","definitions":{"A":{"x-value":"# + valueJSON + "}}}")
    let schema = try DecodedGnosticProto(bytes).message(9)?.named(1, "A")
    return try schema?.extensionYAML(31, "x-value")
}

@Suite("Gnostic encoding of small documents")
struct OpenAPIGnosticSmallDocumentTests {
    // Expected texts are what gnostic-models' `compiler.Marshal` (yaml.v3, styles cleared) printed for
    // the same JSON values.
    @Test(
        "vendor extension values become yaml.v3 text",
        arguments: [
            (#""merge""#, "merge\n"),
            (#""""#, "\"\"\n"),
            (#""true""#, "\"true\"\n"),
            (#""1.5""#, "\"1.5\"\n"),
            (#""0x1F""#, "\"0x1F\"\n"),
            (#""2021-01-01""#, "\"2021-01-01\"\n"),
            (#""yes""#, "yes\n"),
            (#""a: b""#, "'a: b'\n"),
            (##""#x""##, "'#x'\n"),
            (#""a #b""#, "'a #b'\n"),
            (#""- a""#, "'- a'\n"),
            (#""-""#, "'-'\n"),
            (#"" lead""#, "' lead'\n"),
            (#""it's""#, "it's\n"),
            (#""a\tb""#, "\"a\\tb\"\n"),
            (#""a\nb""#, "|-\n    a\n    b\n"),
            (#""a\n""#, "|\n    a\n"),
            (#""a\n\n""#, "|+\n    a\n\n"),
            (#"" a\nb""#, "|4-\n     a\n    b\n"),
            (#""\nx""#, "|4-\n    x\n"),
            (#""\u2028@""#, "'\u{2028}    @'\n"),
            (#"{"\u2028@":1}"#, "? '\u{2028}    @'\n: 1\n"),
            (#"{"a\rb":{"c":1}}"#, "? \"a\\rb\"\n:   c: 1\n"),
            (#"{"k\nx":[1]}"#, "? |-\n    k\n    x\n:   - 1\n"),
            (#""\ufeff@\t""#, "\"\\uFEFF\\x40\\t\"\n"),
            (#""<<""#, "<<\n"),
            (#""a \nb""#, "\"a \\nb\"\n"),
            (#"{"k":"a\nb"}"#, "k: |-\n    a\n    b\n"),
            (#"["a\nb"]"#, "- |-\n  a\n  b\n"),
            (#""\u0085x""#, "\"\\Nx\"\n"),
            (#""😀""#, "\"\\U0001F600\"\n"),
            (#""é ü""#, "é ü\n"),
            (#""x\\y\"z""#, "x\\y\"z\n"),
            ("3", "3\n"),
            ("2.5", "2.5\n"),
            ("false", "false\n"),
            ("null", "null\n"),
            ("[]", "[]\n"),
            ("{}", "{}\n"),
            (#"{"":1}"#, "\"\": 1\n"),
            (#"{"k":[1,{"a":null}]}"#, "k:\n    - 1\n    - a: null\n"),
            (#"{"a":{"b":{"c":1}}}"#, "a:\n    b:\n        c: 1\n"),
            ("[[1,2],[]]", "- - 1\n  - 2\n- []\n"),
            (#"[{"group":"","kind":"Pod","version":"v1"}]"#, "- group: \"\"\n  kind: Pod\n  version: v1\n"),
            (
                #"[{"discriminator":"type","fields-to-discriminateBy":{"queuing":"Queuing"}}]"#,
                "- discriminator: type\n  fields-to-discriminateBy:\n    queuing: Queuing\n"
            ),
        ]
    )
    func extensionText(json: String, yaml: String) throws {
        #expect(try extensionYAML(json) == yaml)
    }

    @Test("a long string stays on one line (yaml.v3 sets no width)")
    func noFolding() throws {
        let words = Array(repeating: "word", count: 30).joined(separator: " ")
        #expect(try extensionYAML("\"\(words)\"") == words + "\n")
        #expect(try extensionYAML("{\"k\":\"\(words)\"}") == "k: " + words + "\n")
    }

    @Test("a key over 128 bytes is written as a complex key")
    func longKey() throws {
        let key = String(repeating: "k", count: 129)
        #expect(try extensionYAML("{\"\(key)\":1}") == "? \(key)\n: 1\n")
        let shorter = String(repeating: "k", count: 128)
        #expect(try extensionYAML("{\"\(shorter)\":1}") == "\(shorter): 1\n")
    }

    @Test("schema fields: type list, boolean additionalProperties, enum, default, numbers, allOf")
    func schemaFields() throws {
        let bytes = try encode(
            #"""
            {"definitions":{"A":{"type":["object","null"],"additionalProperties":false,"enum":["x",1],
            "default":{"a":"b"},"maximum":10.5,"minimum":-1,"maxLength":5,"minItems":0,"uniqueItems":false,
            "allOf":[{"$ref":"#/definitions/B"}],"readOnly":true,"unknownKeyword":"skipped"}}}
            """#
        )
        let schema = try #require(try DecodedGnosticProto(bytes).message(9)?.named(1, "A"))
        #expect(try schema.message(22)?.strings(1) == ["object", "null"])
        // AdditionalPropertiesItem.boolean = 2 is written even when false (a set oneof member).
        let additional = try #require(try schema.message(21))
        #expect(additional.varint(2) == 0)
        #expect(try schema.messages(20).map { $0.string(2) } == ["x\n", "1\n"])
        #expect(try schema.message(5)?.string(2) == "a: b\n")
        #expect(schema.double(7) == 10.5)
        #expect(schema.double(9) == -1)
        #expect(schema.varint(11) == 5)
        #expect(!schema.has(15))
        #expect(!schema.has(16))
        #expect(schema.varint(27) == 1)
        #expect(try schema.messages(24).map { $0.string(1) } == ["#/definitions/B"])
        // Nothing else: the unknown keyword has no field.
        #expect(Set(schema.fields.map(\.number)) == [5, 7, 9, 11, 20, 21, 22, 24, 27])
    }

    @Test("parameters: each location takes its own oneof branch")
    func parameterLocations() throws {
        let bytes = try encode(
            #"""
            {"paths":{"/x":{"get":{"parameters":[
              {"in":"header","name":"h","type":"string"},
              {"in":"formData","name":"f","type":"file"},
              {"in":"query","name":"q","type":"array","items":{"type":"integer","format":"int32"},
               "collectionFormat":"csv"},
              {"in":"path","name":"p","required":true,"type":"string"},
              {"in":"body","name":"b","schema":{"type":"object"}},
              {"$ref":"#/parameters/shared"}
            ],"responses":{"default":{"description":"d","schema":{"type":"file"}},"x-r":1}}}}}
            """#
        )
        let operation = try #require(try DecodedGnosticProto(bytes).message(8)?.named(2, "/x")?.message(2))
        let items = try operation.messages(8)
        #expect(items.count == 6)
        // NonBodyParameter: header 1, form data 2, query 3, path 4; each with `name` at 4.
        for (index, branch) in [1, 2, 3, 4].enumerated() {
            let nonBody = try #require(try items[index].message(1)?.message(2))
            #expect(nonBody.fields.map(\.number) == [branch])
        }
        let query = try #require(try items[2].message(1)?.message(2)?.message(3))
        // QueryParameterSubSchema: items 8 → PrimitivesItems { type 1, format 2 }, collection_format 9.
        #expect(try query.message(8)?.string(1) == "integer")
        #expect(try query.message(8)?.string(2) == "int32")
        #expect(query.string(9) == "csv")
        let path = try #require(try items[3].message(1)?.message(2)?.message(4))
        #expect(path.varint(1) == 1)
        #expect(try items[4].message(1)?.message(1)?.string(2) == "b")
        #expect(try items[5].message(2)?.string(1) == "#/parameters/shared")

        // Responses: a `file` schema takes SchemaItem.file_schema = 2; x-* goes to vendor_extension = 2.
        let responses = try #require(try operation.message(9))
        let response = try #require(try responses.named(1, "default")?.message(1))
        #expect(try response.message(2)?.message(2)?.string(6) == "file")
        #expect(try responses.extensionYAML(2, "x-r") == "1\n")
    }

    @Test("security definitions choose their branch by type and flow")
    func securityDefinitions() throws {
        let bytes = try encode(
            #"""
            {"securityDefinitions":{"basic":{"type":"basic"},
            "code":{"type":"oauth2","flow":"accessCode","authorizationUrl":"https://a","tokenUrl":"https://t",
            "scopes":{"read":"Read things"}}}}
            """#
        )
        let definitions = try #require(try DecodedGnosticProto(bytes).message(13))
        #expect(try definitions.named(1, "basic")?.message(1)?.string(1) == "basic")
        let code = try #require(try definitions.named(1, "code")?.message(6))
        #expect(code.string(4) == "https://a")
        #expect(code.string(5) == "https://t")
        #expect(try code.message(3)?.messages(1).map { [$0.string(1), $0.string(2)] } == [["read", "Read things"]])
    }

    @Test("bad input throws a clear error")
    func badInput() throws {
        #expect(throws: GnosticEncodingError.self) { try encode("not json") }
        do {
            _ = try encode("{\"swagger\": ")
            Issue.record("truncated JSON was accepted")
        } catch {
            #expect(error.isNotJSON)
        }
        for notAnObject in ["[]", "\"swagger\"", "2", "null"] {
            do {
                _ = try encode(notAnObject)
                Issue.record("\(notAnObject) was accepted")
            } catch {
                #expect(error.isNotObject)
                #expect(error.message.contains("expected a JSON object"))
            }
        }
        do {
            _ = try encode(#"{"definitions":{"A":{"properties":{"b":{"description":["not","a","string"]}}}}}"#)
            Issue.record("a list as description was accepted")
        } catch {
            #expect(error.path == ["definitions", "A", "properties", "b", "description"])
            #expect(error.message.contains("expected a string, found array"))
        }
        do {
            _ = try encode(#"{"paths":{"/x":{"get":{"parameters":[{"in":"cookie","name":"c","type":"string"}]}}}}"#)
            Issue.record("an unknown parameter location was accepted")
        } catch {
            #expect(error.path == ["paths", "/x", "get", "parameters", "0", "in"])
        }
    }

    @Test("an empty object encodes to an empty document")
    func emptyDocument() throws {
        #expect(try encode("{}").isEmpty)
        #expect(try encode(#"{"swagger":"2.0"}"#) == [0x0A, 3, 0x32, 0x2E, 0x30])
    }
}
