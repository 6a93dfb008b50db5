import Testing
import SkiffJSON

@Suite struct JSONParsingTests {
    @Test func roundTripsCompactText() throws {
        let text = #"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cfg","labels":{"a":"b"}},"data":{"x":"1"},"n":[1,-2,3.5,true,false,null]}"#
        let value = try JSONValue(parsing: text)
        #expect(value.jsonString == text)
        #expect(value["metadata"]?["name"]?.stringValue == "cfg")
        #expect(value["n"]?[1]?.intValue == -2)
    }

    @Test func keepsIntegersApartFromFloats() throws {
        let value = try JSONValue(parsing: "[3, 3.0, 1e3, 9223372036854775807, -9223372036854775808, 9223372036854775808]")
        #expect(value[0] == .int(3))
        #expect(value[1] == .double(3))
        #expect(value[3] == .int(Int64.max))
        #expect(value[4] == .int(Int64.min))
        #expect(value[5] == .double(9223372036854775808))
        #expect(JSONValue.double(0.5).jsonString == "0.5")
        #expect(JSONValue.double(3).jsonString == "3")
        #expect(JSONValue.double(1e-7).jsonString == "1e-7")
        #expect(JSONValue.double(1.5e21).jsonString == "1.5e+21")
    }

    @Test func decodesEscapes() throws {
        let value = try JSONValue(parsing: #""a\"b\\c\/d\n\u00e9\ud83d\ude00""#)
        #expect(value.stringValue == "a\"b\\c/d\né😀")
    }

    @Test func escapesAsGoDoes() {
        #expect(JSONValue.string("<a&b>\n\u{1}\"").jsonString == #""\u003ca\u0026b\u003e\n\u0001\"""#)
        #expect(JSONValue.string("é😀").jsonString == "\"é😀\"")
    }

    @Test(arguments: [
        ("{", "unexpected end of JSON input"),
        ("{\"a\" 1}", "invalid character '1' after object key"),
        ("[1,]", "invalid character ']' looking for beginning of value"),
        ("bogus", "invalid character 'b' looking for beginning of value"),
        ("{} x", "invalid character 'x' after top-level value"),
        ("tru", "unexpected end of JSON input"),
        ("\"\u{1}\"", "invalid character '\\x01' in string literal"),
    ])
    func reportsErrorsInGoWords(text: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
        do {
            _ = try JSONValue(parsing: text)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func refusesDeepNesting() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func setsNestedValuesInPlace() {
        var value: JSONValue = ["kind": "Pod", "metadata": ["name": "a"]]
        value.setValue("1", at: ["metadata", "resourceVersion"])
        value.setValue("x", at: ["spec", "nodeName"])
        value.setValue(nil, at: ["status", "phase"])
        #expect(value.jsonString == #"{"kind":"Pod","metadata":{"name":"a","resourceVersion":"1"},"spec":{"nodeName":"x"}}"#)
        value.setValue(nil, at: ["metadata", "name"])
        #expect(value["metadata"] == ["resourceVersion": "1"])
    }

    @Test func objectEqualityIgnoresOrder() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"b":2}"#) == JSONValue(parsing: #"{"b":2,"a":1}"#))
        #expect(try JSONValue(parsing: #"{"a":1,"b":2}"#).hashValue == JSONValue(parsing: #"{"b":2,"a":1}"#).hashValue)
    }
}
