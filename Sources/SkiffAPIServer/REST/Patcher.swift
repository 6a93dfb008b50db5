import Foundation
import SkiffAPI

/// The four patch types on a live object, with upstream's status codes: a patch that is not a patch
/// is 400, one that does not fit the object is 422.
enum Patcher {
    /// Upstream's `maxJSONPatchOperations`.
    static let maxJSONPatchOperations = 10_000

    static func jsonPatch(_ patch: JSONValue, to object: JSONValue) throws(APIError) -> JSONValue {
        if let operations = patch.arrayValue, operations.count > maxJSONPatchOperations {
            throw .requestEntityTooLarge("The allowed maximum operations in a JSON patch is \(maxJSONPatchOperations), got \(operations.count)")
        }
        do {
            return try JSONPatch.apply(patch, to: object)
        } catch {
            throw failure(error)
        }
    }

    static func mergePatch(_ patch: JSONValue, to object: JSONValue) throws(APIError) -> JSONValue {
        guard case .object = patch else {
            throw .badRequest("json: cannot unmarshal \(patch.typeName) into Go value of type map[string]interface {}")
        }
        return MergePatch.apply(patch, to: object)
    }

    static func strategicMergePatch(_ patch: JSONValue, to object: JSONValue, schema: Schema) throws(APIError) -> JSONValue {
        do {
            return try StrategicMergePatch.apply(patch, to: object, schema: schema)
        } catch {
            throw failure(error)
        }
    }

    static func apply(_ config: JSONValue, to object: JSONValue?, manager: String, force: Bool, schema: Schema?,
                      resource: ServedResource, now: Date) throws(APIError) -> JSONValue {
        try ServerSideApply.apply(config, to: object, manager: manager, force: force, resource: resource, now: now)
    }

    static func failure(_ error: PatchError) -> APIError {
        if error.isMalformed { return .badRequest(error.message) }
        return APIError(code: 422, reason: "Invalid", message: error.message,
                        causes: [.init(reason: "UnexpectedServerResponse", message: error.message)])
    }
}
