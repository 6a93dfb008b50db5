import Foundation
import NIOCore
import NIOHTTP1
import SkiffAPI
import SkiffStorage

extension RESTHandler {
    /// Subresources: status, scale, binding, finalize (and later the node proxies).
    func subresource(_ name: String, _ request: RESTRequest) async throws -> RESTResponse? {
        let resource = request.resource
        guard let sub = resource.info.subresource(name), sub.verbs.contains(request.verb) else {
            throw APIError.notFound(group: resource.group, resource: "\(resource.resource)/\(name)", name: request.name ?? "")
        }
        switch (name, request.verb) {
        case ("status", "get"): return try await get(request)
        case ("status", "update"): return try await replace(request, subresource: "status")
        case ("status", "patch"): return try await patch(request, subresource: "status")
        case ("scale", "get"): return try await getScale(request)
        case ("scale", "update"), ("scale", "patch"): return try await updateScale(request)
        case ("binding", "create"): return try await bind(request)
        case ("finalize", "update"): return try await replace(request, subresource: "finalize")
        case ("eviction", "create"): return try await evict(request)
        default:
            throw APIError.methodNotSupported(group: resource.group, resource: "\(resource.resource)/\(name)", verb: request.verb)
        }
    }

    // MARK: - scale

    /// The `autoscaling/v1` Scale of a scalable object.
    func scale(of object: JSONValue, resource: ServedResource) -> JSONValue {
        let metadata = object["metadata"] ?? [:]
        var scaleMeta: JSONValue = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let value = metadata[key] { scaleMeta[key] = value }
        }
        var status: JSONValue = ["replicas": object["status"]?["replicas"] ?? 0]
        if let selector = object["spec"]?["selector"] {
            let text = selector.objectValue != nil ? Selectors.labelSelectorString(selector) : (selector.stringValue ?? "")
            if !text.isEmpty { status["selector"] = .string(text) }
        }
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scaleMeta,
                "spec": ["replicas": object["spec"]?["replicas"] ?? 0], "status": status]
    }

    func getScale(_ request: RESTRequest) async throws -> RESTResponse {
        let resource = request.resource
        guard let name = request.name else { throw APIError.badRequest("name is required") }
        guard let cached = try await readCurrent(resource, namespace: request.namespace, name: name,
                                                 resourceVersion: request.query["resourceVersion"])
        else { throw resource.notFound(name) }
        return try respondPlain(scale(of: try cached.parsed(), resource: resource), status: .ok)
    }

    /// PUT or PATCH of a Scale: only `spec.replicas` reaches the object.
    func updateScale(_ request: RESTRequest) async throws -> RESTResponse {
        let resource = request.resource
        guard let name = request.name else { throw APIError.badRequest("name is required") }
        let dryRun = try request.dryRun()
        let manager = try request.fieldManager()
        let context = StrategyContext(namespace: request.namespace, user: request.user, dryRun: dryRun)
        var patchType: PatchType?
        var document: JSONValue = [:]
        if request.verb == "patch" {
            let essence = request.http.header("Content-Type").flatMap { MediaType(parsing: $0[...]) }?.essence ?? ""
            guard let type = PatchType(rawValue: essence), type != .apply else {
                throw APIError.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
            }
            patchType = type
            document = try parsePatch(request, type: type)
        } else {
            document = try RequestBody.parse(request.http)
            // Upstream's update handler checks the body's name against the URL before anything else.
            let bodyName = document["metadata"]?["name"]?.stringValue ?? ""
            guard bodyName == name else {
                throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
            }
        }
        let outcome = try await guaranteedUpdate(resource, namespace: request.namespace, name: name, dryRun: dryRun,
                                                 precondition: nil) { old, revision in
            guard let old else { throw resource.notFound(name) }
            let current = self.scale(of: old, resource: resource)
            var desired: JSONValue
            switch patchType {
            case .json?: desired = try Patcher.jsonPatch(document, to: current)
            case .merge?, .strategic?: desired = try Patcher.mergePatch(document, to: current)
            default: desired = document
            }
            if let rv = desired["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty, rv != String(revision) {
                throw APIError.staleResourceVersion(group: resource.group, resource: resource.resource, name: name)
            }
            guard let replicas = desired["spec"]?["replicas"]?.intValue ?? (desired["spec"]?["replicas"] == nil ? 0 : nil) else {
                throw APIError.badRequest("Scale in version \"v1\" cannot be handled as a Scale: json: cannot unmarshal \(desired["spec"]?["replicas"]?.goTypeName ?? "null") into Go struct field ScaleSpec.spec.replicas of type int32")
            }
            if replicas < 0 {
                throw APIError.invalid(group: "autoscaling", kind: "Scale", name: name,
                                       causes: [.init(reason: "FieldValueInvalid", message: "Invalid value: \(replicas): must be greater than or equal to 0", field: "spec.replicas")],
                                       errorStrings: ["spec.replicas: Invalid value: \(replicas): must be greater than or equal to 0"])
            }
            var updated = old
            updated.setValue(.int(replicas), at: ["spec", "replicas"])
            return try await self.decideUpdate(new: updated, old: old, resource: resource, subresource: "scale",
                                               context: context, manager: manager)
        }
        return try respondPlain(scale(of: outcome.object, resource: resource), status: .ok)
    }

    // MARK: - binding

    /// `pods/<name>/binding`: assigns a pod to a node once (upstream's `BindingREST`).
    func bind(_ request: RESTRequest) async throws -> RESTResponse {
        let resource = request.resource
        guard let name = request.name else { throw APIError.badRequest("name is required") }
        let dryRun = try request.dryRun()
        let binding = try RequestBody.parse(request.http)
        if (binding["metadata"]?["name"]?.stringValue ?? "") != name {
            throw APIError.badRequest("name in URL does not match name in Binding object")
        }
        guard let node = binding["target"]?["name"]?.stringValue, !node.isEmpty else {
            throw APIError.invalid(group: "", kind: "Binding", name: name,
                                   causes: [.init(reason: "FieldValueRequired", message: "Required value", field: "target.name")],
                                   errorStrings: ["target.name: Required value"])
        }
        let now = ObjectLifecycle.timestamp(clock())
        _ = try await guaranteedUpdate(resource, namespace: request.namespace, name: name, dryRun: dryRun,
                                       precondition: nil) { old, _ in
            guard var pod = old else { throw resource.notFound(name) }
            if pod["metadata"]?["deletionTimestamp"] != nil {
                throw APIError.conflict(group: "", resource: "pods", name: name, detail: "pod \(name) is being deleted, cannot be assigned to a host")
            }
            if let current = pod["spec"]?["nodeName"]?.stringValue, !current.isEmpty {
                throw APIError.conflict(group: "", resource: "pods", name: name,
                                        detail: "pod \(name) is already assigned to node \"\(current)\"")
            }
            pod.setValue(.string(node), at: ["spec", "nodeName"])
            var conditions = pod["status"]?["conditions"]?.arrayValue ?? []
            conditions.removeAll { $0["type"]?.stringValue == "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": nil,
                               "lastTransitionTime": .string(now)])
            pod.setValue(.array(conditions), at: ["status", "conditions"])
            return .write(pod)
        }
        return try respondPlain(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201],
                                status: .created)
    }

    func respondPlain(_ value: JSONValue, status: HTTPResponseStatus) throws -> RESTResponse {
        RESTResponse(status: status, contentType: "application/json", body: ByteBufferAllocator().buffer(bytes: value.serialized()))
    }
}
