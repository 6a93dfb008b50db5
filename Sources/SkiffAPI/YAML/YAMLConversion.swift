import Yams

/// Why a YAML text could not be read as JSON values.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension JSONValue {
    /// Reads one YAML document as JSON, resolving scalars the way `sigs.k8s.io/yaml` does (YAML 1.1:
    /// `yes`/`no`/`on`/`off` are booleans, unquoted numbers are numbers, quoted scalars are strings).
    public init(yaml text: String) throws(YAMLError) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw YAMLError(message: "error converting YAML to JSON: \(Self.describe(error))")
        }
        guard let node else {
            self = .null
            return
        }
        var budget = AliasBudget(textBytes: text.utf8.count)
        self = try Self.convert(node, depth: 0, budget: &budget)
    }

    /// Reads every document of a multi-document YAML stream (`---` separated); empty documents are skipped.
    public static func documents(yaml text: String) throws(YAMLError) -> [JSONValue] {
        var result: [JSONValue] = []
        do {
            var budget = AliasBudget(textBytes: text.utf8.count)
            for node in try Yams.compose_all(yaml: text) {
                let value = try convert(node, depth: 0, budget: &budget)
                if !value.isNull { result.append(value) }
            }
        } catch let error as YAMLError {
            throw error
        } catch {
            throw YAMLError(message: "error converting YAML to JSON: \(describe(error))")
        }
        return result
    }

    /// This value as block-style YAML (two-space indents, as kubectl prints `-o yaml`).
    public func yamlString(sortKeys: Bool = false) -> String {
        guard let text = try? Yams.serialize(node: yamlNode(), indent: 2, width: -1, allowUnicode: true,
                                             sortKeys: sortKeys, sequenceStyle: .block, mappingStyle: .block)
        else { return jsonString }
        return text
    }

    func yamlNode() -> Node {
        switch self {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool))
        case .int(let i): return Node(String(i), Tag(.int))
        case .double: return Node(jsonString, Tag(.float))
        case .string(let s):
            // Quote whatever a YAML reader would otherwise take for another type.
            let plain = Node(s, Tag(.str))
            if s.isEmpty { return Node(s, Tag(.str), .doubleQuoted) }
            if let resolved = try? Yams.compose(yaml: s), case .scalar(let scalar) = resolved,
               scalar.tag.rawValue == Tag.Name.str.rawValue, scalar.string == s
            {
                return plain
            }
            return Node(s, Tag(.str), s.contains("\n") ? .literal : .doubleQuoted)
        case .array(let a):
            return Node(a.map { $0.yamlNode() }, Tag(.seq), a.isEmpty ? .flow : .block)
        case .object(let o):
            let pairs = o.storage.map { (Node($0.key, Tag(.str)), $0.value.yamlNode()) }
            return Node(pairs, Tag(.map), o.isEmpty ? .flow : .block)
        }
    }

    static func convert(_ node: Node, depth: Int, budget: inout AliasBudget) throws(YAMLError) -> JSONValue {
        guard depth < 512 else { throw YAMLError(message: "error converting YAML to JSON: too deeply nested") }
        try budget.count()
        switch node {
        case .scalar(let scalar):
            return scalarValue(scalar)
        case .sequence(let sequence):
            var array: [JSONValue] = []
            array.reserveCapacity(sequence.count)
            for element in sequence { array.append(try convert(element, depth: depth + 1, budget: &budget)) }
            return .array(array)
        case .mapping(let mapping):
            var object = JSONObject(minimumCapacity: mapping.count)
            for (key, value) in mapping {
                guard case .scalar(let k) = key else {
                    throw YAMLError(message: "error converting YAML to JSON: unsupported map key of type \(key)")
                }
                // Keys become strings as sigs.k8s.io/yaml makes them (`1: a` → "1").
                let name: String
                switch scalarValue(k) {
                case .string(let s): name = s
                case .null: name = "null"
                case let other: name = other.jsonString
                }
                object[name] = try convert(value, depth: depth + 1, budget: &budget)
            }
            return .object(object)
        case .alias:
            throw YAMLError(message: "error converting YAML to JSON: unresolved alias")
        }
    }

    static func scalarValue(_ scalar: Node.Scalar) -> JSONValue {
        let text = scalar.string
        if scalar.style != .plain && scalar.style != .any { return .string(text) }
        // An untagged plain scalar carries no resolved tag (Yams resolves lazily): resolve it here.
        let explicit = scalar.tag.rawValue
        let tag = explicit.isEmpty || explicit == "?" || explicit == "!"
            ? Resolver.default.resolveTag(of: Node.scalar(scalar)).rawValue : explicit
        switch tag {
        case Tag.Name.null.rawValue: return .null
        case Tag.Name.bool.rawValue:
            switch text.lowercased() {
            case "true", "yes", "on": return .bool(true)
            default: return .bool(false)
            }
        case Tag.Name.int.rawValue:
            if let value = parseYAMLInt(text) { return .int(value) }
            return .string(text)
        case Tag.Name.float.rawValue:
            let cleaned = text.replacingUnderscores()
            switch cleaned.lowercased() {
            case ".inf", "+.inf", "-.inf", ".nan": return .string(text)  // JSON cannot carry these
            default: break
            }
            if let d = Double(cleaned) { return d == d.rounded() && !cleaned.contains(".") && !cleaned.lowercased().contains("e") ? .int(Int64(d)) : .double(d) }
            return .string(text)
        default:
            return .string(text)
        }
    }

    static func parseYAMLInt(_ text: String) -> Int64? {
        var s = text.replacingUnderscores()
        var negative = false
        if s.hasPrefix("-") { negative = true; s.removeFirst() } else if s.hasPrefix("+") { s.removeFirst() }
        var value: Int64?
        if s.hasPrefix("0x") { value = Int64(s.dropFirst(2), radix: 16) }
        else if s.hasPrefix("0b") { value = Int64(s.dropFirst(2), radix: 2) }
        else if s.hasPrefix("0o") { value = Int64(s.dropFirst(2), radix: 8) }
        else if s.count > 1 && s.hasPrefix("0") { value = Int64(s.dropFirst(1), radix: 8) }
        else { value = Int64(s) }
        guard let v = value else { return nil }
        return negative ? -v : v
    }

    static func describe(_ error: any Error) -> String {
        if let yaml = error as? YamlError { return "\(yaml)".split(separator: "\n").first.map(String.init) ?? "\(yaml)" }
        return "\(error)"
    }
}

/// Bounds alias expansion as go-yaml (and so upstream's API server) does: once a document has produced
/// more than 1,000 values, the share of them that came from aliases may not exceed 99% (falling to 10% at
/// 4,000,000 values). Yams resolves aliases while composing, so the values a text could hold without
/// aliases (at most one per byte) stand in for go-yaml's count of non-alias values.
struct AliasBudget {
    let textBytes: Int
    var values = 0

    mutating func count() throws(YAMLError) {
        values += 1
        guard values > 1000, values > textBytes, values & 0xff == 0 || values > 4_000_000 else { return }
        let aliased = Double(values - textBytes) / Double(values)
        if aliased > Self.allowedRatio(values) {
            throw YAMLError(message: "error converting YAML to JSON: yaml: document contains excessive aliasing")
        }
    }

    /// go-yaml's `allowedAliasRatio`.
    static func allowedRatio(_ decoded: Int) -> Double {
        let low = 400_000.0, high = 4_000_000.0
        let count = Double(decoded)
        if count <= low { return 0.99 }
        if count >= high { return 0.10 }
        return 0.99 - 0.89 * (count - low) / (high - low)
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { filter { $0 != "_" } }
}
