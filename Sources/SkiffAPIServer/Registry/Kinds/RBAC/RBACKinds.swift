import Foundation
import SkiffAPI

/// RBAC's roles and bindings: path-segment names, and a binding's roleRef fixed once created.
enum RBACKinds {
    static let group = "rbac.authorization.k8s.io"

    static let definitions = [
        KindDefinition(group: group, resource: "roles") { $0.nameRule = .pathSegment },
        KindDefinition(group: group, resource: "clusterroles") { $0.nameRule = .pathSegment },
        KindDefinition(group: group, resource: "rolebindings") {
            $0.nameRule = .pathSegment
            $0.validateUpdateOnly = roleRefUnchanged
        },
        KindDefinition(group: group, resource: "clusterrolebindings") {
            $0.nameRule = .pathSegment
            $0.validateUpdateOnly = roleRefUnchanged
        },
    ]

    static func roleRefUnchanged(_ object: JSONValue, old: JSONValue) -> [FieldProblem] {
        guard let roleRef = object["roleRef"], roleRef != old["roleRef"] else { return [] }
        let quoted = ImmutabilityValidation.quoted
        let text = "rbac.RoleRef{APIGroup:\(quoted(roleRef["apiGroup"])), Kind:\(quoted(roleRef["kind"])), Name:\(quoted(roleRef["name"]))}"
        return [ImmutabilityValidation.raw("roleRef", text, "cannot change roleRef")]
    }
}
