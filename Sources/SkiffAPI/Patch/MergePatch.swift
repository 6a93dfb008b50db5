/// JSON merge patch (RFC 7386), as `application/merge-patch+json`: objects merge key by key, `null`
/// deletes, everything else (arrays included) replaces.
public enum MergePatch {
    public static func apply(_ patch: JSONValue, to target: JSONValue?) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result: JSONObject
        if case .object(let members)? = target { result = members } else { result = JSONObject() }
        for (key, value) in patchMembers {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key])
            }
        }
        return .object(result)
    }

    /// The merge patch that turns `original` into `modified` (deletions as `null`).
    public static func diff(from original: JSONValue, to modified: JSONValue) -> JSONValue? {
        guard case .object(let old) = original, case .object(let new) = modified else {
            if original == modified { return nil }
            return modified
        }
        var patch = JSONObject()
        for (key, value) in new {
            if let before = old[key] {
                if let sub = diff(from: before, to: value) { patch[key] = sub }
            } else {
                patch[key] = value
            }
        }
        for key in old.keys where !new.keys.contains(key) { patch[key] = .null }
        return patch.isEmpty ? JSONValue?.none : .object(patch)
    }
}
