import SkiffAPI
public import SkiffClient

/// What the server serves, read from its discovery documents: aggregated discovery (`/api` and `/apis`
/// as `APIGroupDiscoveryList`, two requests) when offered, else the legacy per-group-version documents.
public struct DiscoveredResources: Sendable {
    /// Every resource of every served version (no subresources).
    public var all: [APIResource]
    /// The resources of each group's preferred version (client-go's `ServerPreferredResources`).
    public var preferred: [APIResource]
    /// Group versions whose documents could not be read (the rest is still usable).
    public var failedGroupVersions: [String: String]

    public init(all: [APIResource], preferred: [APIResource], failedGroupVersions: [String: String] = [:]) {
        self.all = all
        self.preferred = preferred
        self.failedGroupVersions = failedGroupVersions
    }

    public var mapper: RESTMapper { RESTMapper(all: all, preferred: preferred) }

    /// Preferred resources that support every verb in `verbs`.
    public func preferred(supporting verbs: Set<String>) -> [APIResource] {
        preferred.filter { verbs.isSubset(of: $0.verbs) }
    }
}

/// Reads discovery from the API server.
public struct ResourceDiscovery: Sendable {
    let client: RESTClient

    public init(client: RESTClient) { self.client = client }

    static let aggregatedAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"

    /// Fetches what the server serves; throws only when nothing could be read.
    public func discover() async throws -> DiscoveredResources {
        if let aggregated = try await aggregated() { return aggregated }
        return try await legacy()
    }

    func aggregated() async throws -> DiscoveredResources? {
        var result = DiscoveredResources(all: [], preferred: [])
        for path in ["/api", "/apis"] {
            let response = try await client.send(.GET, path, accept: Self.aggregatedAccept)
            // Anything but an aggregated document (an older server, a refused media type): use the legacy one.
            guard (200..<300).contains(response.status.code), let document = try? response.json(),
                  document["kind"]?.stringValue == "APIGroupDiscoveryList"
            else { return nil }
            Self.parseAggregated(document, into: &result)
        }
        return result
    }

    /// Reads an `APIGroupDiscoveryList` (its first version of each group is the preferred one).
    static func parseAggregated(_ document: JSONValue, into result: inout DiscoveredResources) {
        for group in document["items"]?.arrayValue ?? [] {
            let groupName = group["metadata"]?["name"]?.stringValue ?? ""
            for (index, version) in (group["versions"]?.arrayValue ?? []).enumerated() {
                let versionName = version["version"]?.stringValue ?? ""
                for entry in version["resources"]?.arrayValue ?? [] {
                    guard let name = entry["resource"]?.stringValue, !name.isEmpty,
                          let kind = entry["responseKind"]?["kind"]?.stringValue, !kind.isEmpty
                    else { continue }
                    let resource = APIResource(group: groupName, version: versionName, resource: name, kind: kind,
                                               namespaced: entry["scope"]?.stringValue == "Namespaced",
                                               verbs: Set((entry["verbs"]?.arrayValue ?? []).compactMap(\.stringValue)))
                    result.all.append(resource)
                    if index == 0 { result.preferred.append(resource) }
                }
            }
        }
    }

    func legacy() async throws -> DiscoveredResources {
        var groupVersions: [(groupVersion: String, preferred: Bool)] = []
        let core = try await client.json(.GET, "/api")
        for version in core["versions"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            groupVersions.append((version, groupVersions.isEmpty))
        }
        let groups = try await client.json(.GET, "/apis")
        for group in groups["groups"]?.arrayValue ?? [] {
            let preferred = group["preferredVersion"]?["groupVersion"]?.stringValue
            for version in group["versions"]?.arrayValue ?? [] {
                guard let groupVersion = version["groupVersion"]?.stringValue else { continue }
                groupVersions.append((groupVersion, groupVersion == (preferred ?? groupVersion)))
            }
        }
        var result = DiscoveredResources(all: [], preferred: [])
        let client = self.client
        await withTaskGroup(of: (String, Bool, Result<JSONValue, any Error>).self) { tasks in
            for (groupVersion, preferred) in groupVersions {
                tasks.addTask {
                    let path = groupVersion.contains("/") ? "/apis/\(groupVersion)" : "/api/\(groupVersion)"
                    do { return (groupVersion, preferred, .success(try await client.json(.GET, path))) } catch {
                        return (groupVersion, preferred, .failure(error))
                    }
                }
            }
            for await (groupVersion, preferred, outcome) in tasks {
                switch outcome {
                case .success(let list):
                    let resources = Self.parseResourceList(list, groupVersion: groupVersion)
                    result.all += resources
                    if preferred { result.preferred += resources }
                case .failure(let error):
                    result.failedGroupVersions[groupVersion] = "\(error)"
                }
            }
        }
        if result.all.isEmpty, let failure = result.failedGroupVersions.first {
            throw APIError.internalError("discovery failed: \(failure.key): \(failure.value)")
        }
        return result
    }

    /// Reads an `APIResourceList`, skipping subresources (`pods/status`).
    static func parseResourceList(_ list: JSONValue, groupVersion: String) -> [APIResource] {
        let parts = groupVersion.split(separator: "/").map(String.init)
        let group = parts.count == 2 ? parts[0] : ""
        let version = parts.last ?? ""
        return (list["resources"]?.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue, !name.contains("/"), let kind = entry["kind"]?.stringValue
            else { return nil }
            return APIResource(group: group, version: version, resource: name, kind: kind,
                               namespaced: entry["namespaced"]?.boolValue ?? false,
                               verbs: Set((entry["verbs"]?.arrayValue ?? []).compactMap(\.stringValue)))
        }
    }
}
