/// The Swift type of one member.
indirect enum FieldType: Equatable {
    case string, bool, int32, int64, double
    /// Any JSON (an object schema with no properties).
    case json
    /// A generated model, a generated alias or a hand-written type, by schema id.
    case named(String)
    case array(FieldType)
    case map(FieldType)
}

struct Field {
    var jsonName: String
    var swiftName: String
    var type: FieldType
    var required: Bool
    var doc: String?
    /// Stored in an `Indirect` box because the model reaches itself through it (`JSONSchemaProps.not`).
    var boxed = false
}

/// What a top-level kind conforms to beyond `KubernetesKind`.
enum KindRole: Equatable {
    case kind
    case object
    case list(item: String)
}

struct Kind {
    var apiVersion: String
    var kind: String
    var role: KindRole
    /// The `<Kind>List` model in the same namespace, for `typealias List`.
    var listName: String? = nil
    /// Where an object kind is served (its URLs), when it is.
    var resource: ServedResource?
}

struct Model {
    var id: String
    var name: SwiftTypeName
    var doc: String?
    var fields: [Field]
    var kind: Kind?
}

struct Alias {
    var id: String
    var name: SwiftTypeName
    var doc: String?
}

/// Every model and alias to generate, resolved and checked.
struct ModelPlan {
    var models: [Model]
    var aliases: [Alias]
    /// Swift names of every schema id a field may name.
    var typeNames: [String: SwiftTypeName]

    init(schemas: [String: Schema], resources: [String: ServedResource] = [:]) throws {
        models = []
        aliases = []
        typeNames = [:]
        for (id, schema) in schemas.sorted(by: { $0.key < $1.key }) {
            let name = try swiftTypeName(forSchema: id)
            typeNames[id] = name
            if handwrittenTypes[id] != nil { continue }
            let doc = schema["description"] as? String
            if arbitraryJSONTypes.contains(id) {
                aliases.append(Alias(id: id, name: name, doc: doc))
                continue
            }
            guard schema["type"] as? String == "object" else { throw Failure("\(id): not an object schema") }
            guard !reservedTypeNames.contains(name.name) else { throw Failure("\(id): name \(name.name) is reserved") }
            models.append(Model(id: id, name: name, doc: doc, fields: try Self.fields(of: schema, id: id), kind: nil))
        }
        try checkReferences()
        assignKinds(schemas: schemas, resources: resources)
        try boxRecursiveFields()
    }

    private static func fields(of schema: Schema, id: String) throws -> [Field] {
        let properties = schema["properties"] as? [String: Schema] ?? [:]
        let required = Set(schema["required"] as? [String] ?? [])
        var seen: Set<String> = []
        // The documents list members alphabetically; JSONSerialization loses their order, so sort again.
        return try properties.keys.sorted().map { json in
            let swiftName = try swiftPropertyName(forJSONName: json)
            guard seen.insert(swiftName).inserted else { throw Failure("\(id): two members named \(swiftName)") }
            guard swiftName != "json" else { throw Failure("\(id): member `json` clashes with the encoder") }
            let property = properties[json] ?? [:]
            do {
                return Field(
                    jsonName: json, swiftName: swiftName, type: try fieldType(property),
                    required: required.contains(json), doc: property["description"] as? String)
            } catch {
                throw Failure("\(id).\(json): \(error)")
            }
        }
    }

    private static func fieldType(_ schema: Schema) throws -> FieldType {
        if let ref = schema["$ref"] as? String { return .named(try schemaID(fromRef: ref)) }
        if let allOf = schema["allOf"] as? [Schema] {
            guard allOf.count == 1 else { throw Failure("allOf with \(allOf.count) members") }
            return try fieldType(allOf[0])
        }
        let format = schema["format"] as? String
        switch (schema["type"] as? String, format) {
        case ("string", nil), ("string", "byte"): return .string
        case ("boolean", nil): return .bool
        case ("integer", "int32"): return .int32
        case ("integer", "int64"): return .int64
        case ("number", "double"): return .double
        case ("array", nil):
            guard let items = schema["items"] as? Schema else { throw Failure("array without items") }
            return .array(try fieldType(items))
        case ("object", nil):
            if let values = schema["additionalProperties"] as? Schema { return .map(try fieldType(values)) }
            return .json
        case (let type, let format):
            throw Failure("unsupported type \(type ?? "none") format \(format ?? "none")")
        }
    }

    private static func schemaID(fromRef ref: String) throws -> String {
        let prefix = "#/components/schemas/"
        guard ref.hasPrefix(prefix) else { throw Failure("unsupported $ref \(ref)") }
        return String(ref.dropFirst(prefix.count))
    }

    private func checkReferences() throws {
        func check(_ type: FieldType, in model: Model) throws {
            switch type {
            case .named(let id): guard typeNames[id] != nil else { throw Failure("\(model.id): unknown \(id)") }
            case .array(let element), .map(let element): try check(element, in: model)
            default: break
            }
        }
        for model in models { for field in model.fields { try check(field.type, in: model) } }
    }

    /// Marks models with exactly one group-version-kind as kinds and decides what they conform to.
    private mutating func assignKinds(schemas: [String: Schema], resources: [String: ServedResource]) {
        let objectMetaID = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        let listMetaID = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
        var kinds: [String: Kind] = [:]
        for model in models {
            guard let gvks = schemas[model.id]?["x-kubernetes-group-version-kind"] as? [[String: String]],
                gvks.count == 1, let group = gvks[0]["group"], let version = gvks[0]["version"],
                let kind = gvks[0]["kind"]
            else { continue }
            let fieldTypes = Dictionary(uniqueKeysWithValues: model.fields.map { ($0.jsonName, $0.type) })
            var role = KindRole.kind
            if fieldTypes["metadata"] == .named(objectMetaID) {
                role = .object
            } else if fieldTypes["metadata"] == .named(listMetaID), case .array(.named(let item))? = fieldTypes["items"] {
                role = .list(item: item)
            }
            let apiVersion = group.isEmpty ? version : "\(group)/\(version)"
            kinds[model.id] = Kind(apiVersion: apiVersion, kind: kind, role: role,
                                   resource: role == .object ? resources["\(apiVersion) \(kind)"] : nil)
        }
        // A list conforms to KubernetesList only when its items are objects.
        for (id, kind) in kinds {
            if case .list(let item) = kind.role, case .object? = kinds[item]?.role {
                continue
            }
            if case .list = kind.role { kinds[id]?.role = .kind }
        }
        let idsByName = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0.id) })
        for index in models.indices {
            guard var kind = kinds[models[index].id] else { continue }
            let name = models[index].name
            if case .object = kind.role {
                // Every object's metadata is optional on the model, so one protocol fits them all.
                for f in models[index].fields.indices where models[index].fields[f].jsonName == "metadata" {
                    models[index].fields[f].required = false
                }
                let listName = SwiftTypeName(namespace: name.namespace, name: name.name + "List")
                if let listID = idsByName[listName], kinds[listID] != nil { kind.listName = listName.name }
            }
            models[index].kind = kind
        }
    }

    /// Boxes each member that leads from a model back to itself through other models' members (not through
    /// arrays or maps, which already store elements out of line).
    private mutating func boxRecursiveFields() throws {
        let index = Dictionary(uniqueKeysWithValues: models.enumerated().map { ($1.id, $0) })
        let edges = models.map { model in
            model.fields.compactMap { field -> Int? in
                if case .named(let id) = field.type { return index[id] }
                return nil
            }
        }
        let component = stronglyConnectedComponents(edges: edges)
        for m in models.indices {
            for f in models[m].fields.indices {
                guard case .named(let id) = models[m].fields[f].type, let target = index[id] else { continue }
                let cyclic = target == m || component[target] == component[m]
                guard cyclic else { continue }
                guard !models[m].fields[f].required else {
                    throw Failure("\(models[m].id).\(models[m].fields[f].jsonName): required member leads back to its model")
                }
                models[m].fields[f].boxed = true
            }
        }
    }
}

/// Tarjan's algorithm: the component number of each node.
func stronglyConnectedComponents(edges: [[Int]]) -> [Int] {
    var indexOf = [Int?](repeating: nil, count: edges.count)
    var lowLink = [Int](repeating: 0, count: edges.count)
    var onStack = [Bool](repeating: false, count: edges.count)
    var stack: [Int] = []
    var component = [Int](repeating: -1, count: edges.count)
    var nextIndex = 0
    var nextComponent = 0

    func visit(_ v: Int) {
        indexOf[v] = nextIndex
        lowLink[v] = nextIndex
        nextIndex += 1
        stack.append(v)
        onStack[v] = true
        for w in edges[v] {
            if let wIndex = indexOf[w] {
                if onStack[w] { lowLink[v] = min(lowLink[v], wIndex) }
            } else {
                visit(w)
                lowLink[v] = min(lowLink[v], lowLink[w])
            }
        }
        if lowLink[v] == indexOf[v] {
            while let w = stack.popLast() {
                onStack[w] = false
                component[w] = nextComponent
                if w == v { break }
            }
            nextComponent += 1
        }
    }
    for v in edges.indices where indexOf[v] == nil { visit(v) }
    return component
}
