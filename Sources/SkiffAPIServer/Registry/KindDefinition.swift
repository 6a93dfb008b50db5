import SkiffAPI

/// Everything one kind's rules are beyond the generic REST code, in one place (upstream's
/// `pkg/registry/<group>/<kind>/` plus its `pkg/apis/<group>/validation` and printer): its strategy
/// (defaults, normalisation, status handling, deletion), selectable fields, table columns, name rule and
/// validation. The generic code asks a `ServedResource`'s definition; it never switches on a resource
/// name. Custom resources get a definition built from their CustomResourceDefinition the same way.
struct KindDefinition: Sendable {
    let group: String
    let resource: String
    /// Makes the strategy once per server; kinds that allocate (Services) take what they share from `shared`.
    var strategy: @Sendable (_ shared: KindSharedState) -> any ResourceStrategy = { _ in GenericStrategy() }
    /// Field-selector fields beyond metadata.name and metadata.namespace.
    var fields = ResourceFields()
    /// The `kubectl get` table.
    var table: any TableConvertor = DefaultTableConvertor()
    /// How names are checked (upstream's `ValidateNameFunc`).
    var nameRule: ObjectMetaValidation.NameRule = .subdomain
    /// The kind's own checks of a new (or updated) object (`ValidateX`).
    var validate: @Sendable (_ object: JSONValue) -> [FieldProblem] = { _ in [] }
    /// What an update alone may not do, such as changing an immutable field (`ValidateXUpdate`).
    var validateUpdateOnly: @Sendable (_ object: JSONValue, _ old: JSONValue) -> [FieldProblem] = { _, _ in [] }

    init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }

    /// A definition with its members set by `configure` (reads as a declaration in each kind's file).
    init(group: String, resource: String, _ configure: (inout KindDefinition) -> Void) {
        self.init(group: group, resource: resource)
        configure(&self)
    }

    /// Every check of an update: the object's own, then the update's.
    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldProblem] {
        validate(object) + validateUpdateOnly(object, old)
    }
}

/// State kinds share across one server's registry (built once, handed to the strategies that need it).
final class KindSharedState: Sendable {
    /// Cluster IPs and node ports of Services.
    let services = ServiceAllocator()
}
