import SkiffAPI
import Testing

/// YAML bodies read as `sigs.k8s.io/yaml` reads them: plain scalars typed, quoted ones strings.
@Suite struct YAMLConversionTests {
    @Test func blockStyleScalarsAreTyped() throws {
        let value = try JSONValue(yaml: """
        apiVersion: apps/v1
        spec:
          replicas: 3
          paused: true
          ratio: 0.5
          name: '3'
          hex: 0x10
          nothing: null
          list:
          - 1
          - two
        """)
        #expect(value["spec"]?["replicas"] == .int(3))
        #expect(value["spec"]?["paused"] == .bool(true))
        #expect(value["spec"]?["ratio"] == .double(0.5))
        #expect(value["spec"]?["name"] == .string("3"))
        #expect(value["spec"]?["hex"] == .int(16))
        #expect(value["spec"]?["nothing"] == .null)
        #expect(value["spec"]?["list"] == [.int(1), .string("two")])
    }

    /// A "billion laughs" document: 373 bytes that expand to 10^9 values. go-yaml refuses it, and so do we,
    /// long before expanding it.
    @Test func excessiveAliasingIsRefused() {
        let bomb = """
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        """
        do {
            _ = try JSONValue(yaml: bomb)
            Issue.record("the alias bomb was expanded")
        } catch {
            #expect(error.message == "error converting YAML to JSON: yaml: document contains excessive aliasing")
        }
        // Ordinary aliases (a few reused blocks) still work.
        let fine = try? JSONValue(yaml: "base: &b {x: 1}\none: *b\ntwo: *b\n")
        #expect(fine?["two"]?["x"] == 1)
    }
}
