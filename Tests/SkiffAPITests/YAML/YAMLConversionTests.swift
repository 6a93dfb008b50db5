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
}

