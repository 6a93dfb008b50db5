import SkiffAPI
@testable import SkiffServerCodecs
import Testing

@Suite struct JSONPatchTests {
    @Test func appliesEveryOperationInOrder() throws {
        let doc: JSONValue = ["data": ["a": "1"], "list": [1, 2]]
        let patch: JSONValue = [
            ["op": "add", "path": "/data/b", "value": "2"],
            ["op": "replace", "path": "/data/a", "value": "x"],
            ["op": "add", "path": "/list/-", "value": 3],
            ["op": "remove", "path": "/list/0"],
            ["op": "copy", "from": "/data/b", "path": "/data/c"],
            ["op": "move", "from": "/data/c", "path": "/moved"],
            ["op": "test", "path": "/moved", "value": "2"],
            ["op": "add", "path": "/a~1b", "value": true],
        ]
        let result = try JSONPatch.apply(patch, to: doc)
        #expect(result == ["data": ["a": "x", "b": "2"], "list": [2, 3], "moved": "2", "a/b": true])
    }

    @Test func refusesWhatDoesNotApply() {
        let doc: JSONValue = ["data": ["a": "1"]]
        #expect(throws: PatchError.self) { try JSONPatch.apply([["op": "remove", "path": "/data/zz"]], to: doc) }
        #expect(throws: PatchError.self) { try JSONPatch.apply([["op": "test", "path": "/data/a", "value": "2"]], to: doc) }
        #expect(throws: PatchError.self) { try JSONPatch.apply([["op": "replace", "path": "/nope", "value": 1]], to: doc) }
        #expect(throws: PatchError.self) { try JSONPatch.apply([["op": "frobnicate", "path": "/data"]], to: doc) }
        do {
            _ = try JSONPatch.apply(["op": "add"], to: doc)
            Issue.record("an object is not a JSON patch")
        } catch {
            #expect(error.isMalformed)
        }
    }
}

@Suite struct MergePatchTests {
    @Test func mergesObjectsAndDeletesWithNull() {
        let doc: JSONValue = ["a": ["b": 1, "c": 2], "list": [1, 2], "keep": true]
        let result = MergePatch.apply(["a": ["b": .null, "d": 4], "list": [9]], to: doc)
        #expect(result == ["a": ["c": 2, "d": 4], "list": [9], "keep": true])
        #expect(MergePatch.diff(from: doc, to: result) == ["a": ["b": .null, "d": 4], "list": [9]])
    }
}

@Suite struct StrategicMergePatchTests {
    let registry = SchemaRegistry(source: EmbeddedOpenAPI.schemaSource)
    var deploymentSchema: Schema? { registry.schema(for: GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")) }

    var deployment: JSONValue {
        ["spec": ["template": ["spec": ["containers": [
            ["name": "web", "image": "busybox:latest", "command": ["sleep", "3600"]],
            ["name": "side", "image": "side:1"],
        ]]]]]
    }

    @Test func mergesContainersByName() throws {
        let schema = try #require(deploymentSchema)
        let patch: JSONValue = ["spec": ["template": ["spec": ["containers": [["name": "web", "image": "busybox:1.36"]]]]]]
        let result = try StrategicMergePatch.apply(patch, to: deployment, schema: schema)
        let containers = result["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []
        #expect(containers.count == 2)
        #expect(containers.first?["image"] == "busybox:1.36")
        #expect(containers.first?["command"] == ["sleep", "3600"])
    }

    @Test func honoursDeleteReplaceAndOrderDirectives() throws {
        let schema = try #require(deploymentSchema)
        let delete: JSONValue = ["spec": ["template": ["spec": ["containers": [["name": "side", "$patch": "delete"]]]]]]
        let deleted = try StrategicMergePatch.apply(delete, to: deployment, schema: schema)
        #expect(deleted["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.map { $0["name"] } == ["web"])

        let replace: JSONValue = ["spec": ["template": ["spec": ["containers": [["name": "only", "image": "x"], ["$patch": "replace"]]]]]]
        let replaced = try StrategicMergePatch.apply(replace, to: deployment, schema: schema)
        #expect(replaced["spec"]?["template"]?["spec"]?["containers"] == [["name": "only", "image": "x"]])

        let order: JSONValue = ["spec": ["template": ["spec": ["$setElementOrder/containers": [["name": "side"], ["name": "web"]]]]]]
        let ordered = try StrategicMergePatch.apply(order, to: deployment, schema: schema)
        #expect(ordered["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.map { $0["name"] } == ["side", "web"])
    }

    @Test func replacesListsWithoutMergeStrategyAndRefusesMissingKeys() throws {
        let schema = try #require(deploymentSchema)
        let command: JSONValue = ["spec": ["template": ["spec": ["containers": [["name": "web", "command": ["true"]]]]]]]
        let result = try StrategicMergePatch.apply(command, to: deployment, schema: schema)
        #expect(result["spec"]?["template"]?["spec"]?["containers"]?[0]?["command"] == ["true"])
        let keyless: JSONValue = ["spec": ["template": ["spec": ["containers": [["image": "x"]]]]]]
        #expect(throws: PatchError.self) { try StrategicMergePatch.apply(keyless, to: deployment, schema: schema) }
        #expect(throws: PatchError.self) { try StrategicMergePatch.apply(["$patch": "explode"], to: deployment, schema: schema) }
    }
}
