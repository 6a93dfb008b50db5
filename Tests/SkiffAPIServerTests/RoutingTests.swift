import NIOHTTP1
import SkiffAPI
import Testing
@testable import SkiffAPIServer

@Suite struct RequestInfoTests {
    @Test(arguments: [
        ("/api/v1/namespaces/ns/pods/web/status", "", "v1", "ns", "pods", "web", "status"),
        ("/api/v1/pods", "", "v1", nil, "pods", nil, nil),
        ("/apis/apps/v1/namespaces/default/deployments", "apps", "v1", "default", "deployments", nil, nil),
        ("/api/v1/namespaces/kube-system", "", "v1", nil, "namespaces", "kube-system", nil),
        ("/api/v1/namespaces/x/finalize", "", "v1", nil, "namespaces", "x", "finalize"),
        ("/api/v1/nodes/n1", "", "v1", nil, "nodes", "n1", nil),
        ("/api/v1/namespaces/a%20b/configmaps/c", "", "v1", "a b", "configmaps", "c", nil),
    ] as [(String, String, String, String?, String, String?, String?)])
    func parsesResourcePaths(path: String, group: String, version: String, namespace: String?, resource: String,
                             name: String?, subresource: String?) throws {
        let info = try #require(RequestInfo(path: path[...]))
        #expect(info.group == group)
        #expect(info.version == version)
        #expect(info.namespace == namespace)
        #expect(info.resource == resource)
        #expect(info.name == name)
        #expect(info.subresource == subresource)
    }

    @Test func refusesNonResourcePaths() {
        #expect(RequestInfo(path: "/api") == nil)
        #expect(RequestInfo(path: "/apis/apps") == nil)
        #expect(RequestInfo(path: "/healthz") == nil)
        #expect(RequestInfo(path: "/api/v1") == nil)
    }

    @Test func derivesVerbs() throws {
        let list = try #require(RequestInfo(path: "/api/v1/pods"))
        #expect(list.verb(method: .GET, watchParameter: false) == "list")
        #expect(list.verb(method: .GET, watchParameter: true) == "watch")
        #expect(list.verb(method: .DELETE, watchParameter: false) == "deletecollection")
        let one = try #require(RequestInfo(path: "/api/v1/namespaces/a/pods/p"))
        #expect(one.verb(method: .GET, watchParameter: false) == "get")
        #expect(one.verb(method: .PATCH, watchParameter: false) == "patch")
        #expect(one.verb(method: .DELETE, watchParameter: false) == "delete")
    }

    @Test func decodesQueries() {
        let q = QueryParameters(parsing: "labelSelector=env+in+%28a%2Cb%29&watch=1&x&dryRun=All&dryRun=All")
        #expect(q["labelSelector"] == "env in (a,b)")
        #expect(q["watch"] == "1")
        #expect(q.has("x"))
        #expect(q.all("dryRun") == ["All", "All"])
    }
}

@Suite struct NegotiationTests {
    @Test func picksTablesAndJSON() throws {
        #expect(try OutputFormat.negotiate(accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", includeObject: nil)
                == .table(version: "v1", includeObject: "Metadata"))
        #expect(try OutputFormat.negotiate(accept: nil, includeObject: nil) == .json)
        #expect(try OutputFormat.negotiate(accept: "application/yaml", includeObject: nil) == .yaml)
        #expect(try OutputFormat.negotiate(accept: "application/vnd.kubernetes.protobuf, */*", includeObject: nil) == .json)
        #expect(try OutputFormat.negotiate(accept: "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", includeObject: nil)
                == .partialMetadata(version: "v1"))
        #expect(throws: APIError.self) { try OutputFormat.negotiate(accept: "application/vnd.kubernetes.protobuf", includeObject: nil) }
    }
}

@Suite struct AgeTests {
    static let cases: [(Double, String)] = [(5, "5s"), (119, "119s"), (125, "2m5s"), (600, "10m"), (10_860, "3h1m"),
                                            (32_400, "9h"), (180_000, "2d2h"), (864_000, "10d"), (69_120_000, "2y70d")]

    @Test(arguments: cases)
    func printsAsKubectl(seconds: Double, text: String) {
        #expect(Age.humanDuration(seconds) == text)
    }
}
