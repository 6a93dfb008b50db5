import Testing
import SkiffJSON

@Suite struct JSONSpliceTests {
    func splice(_ text: String) -> String? {
        JSONSplice.appendingMember("resourceVersion", rawValue: Array(#""42""#.utf8), toObjectAt: "metadata",
                                   in: Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func addsTheMemberLastInTheNamedObject() {
        #expect(splice(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"x":"}"}},"data":{"k":"v"}}"#)
            == #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"x":"}"},"resourceVersion":"42"},"data":{"k":"v"}}"#)
        #expect(splice(#"{"metadata":{}}"#) == #"{"metadata":{"resourceVersion":"42"}}"#)
        #expect(splice(#" { "a" : [1, {"b": "]\"}"}] , "metadata" : { "n" : 1 } } "#)
            == #" { "a" : [1, {"b": "]\"}"}] , "metadata" : { "n" : 1 ,"resourceVersion":"42"} } "#)
    }

    @Test func theResultParsesToTheSameAsSettingTheValue() throws {
        let text = #"{"kind":"Pod","metadata":{"name":"p","annotations":{"q":"a\"b\\"},"finalizers":["x"]},"spec":{"n":-1.5e3,"t":true,"z":null}}"#
        var expected = try JSONValue(parsing: text)
        expected.setValue(.string("42"), at: ["metadata", "resourceVersion"])
        let spliced = try #require(splice(text))
        #expect(try JSONValue(parsing: spliced) == expected)
    }

    @Test func refusesWhatItCannotEditSafely() {
        #expect(splice(#"{"metadata":{"resourceVersion":"1"}}"#) == nil)
        #expect(splice(#"{"kind":"x"}"#) == nil)
        #expect(splice(#"{"metadata":"x"}"#) == nil)
        #expect(splice(#"[1]"#) == nil)
        #expect(splice(#"{"metadata":{"a":"#) == nil)
        #expect(splice(#"{"a":"unterminated"#) == nil)
        #expect(splice("") == nil)
    }
}
