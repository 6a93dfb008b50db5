/// A label selector (`env in (dev,prod),tier!=db,!canary`) parsed and matched as
/// `k8s.io/apimachinery/pkg/labels` does, with its error messages.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    /// One `key op values` term.
    public struct Requirement: Sendable, Hashable {
        public var key: String
        public var `operator`: Operator
        /// Sorted (as upstream keeps them).
        public var values: [String]

        public func matches(_ labels: [String: String]) -> Bool {
            switch self.operator {
            case .equals, .doubleEquals, .in:
                guard let value = labels[key] else { return false }
                return values.contains(value)
            case .notEquals, .notIn:
                guard let value = labels[key] else { return true }
                return !values.contains(value)
            case .exists: return labels[key] != nil
            case .doesNotExist: return labels[key] == nil
            case .greaterThan, .lessThan:
                guard let text = labels[key], let have = Int64(text), let bound = values.first.flatMap({ Int64($0) }) else {
                    return false
                }
                return self.operator == .greaterThan ? have > bound : have < bound
            }
        }

        var text: String {
            switch self.operator {
            case .exists: return key
            case .doesNotExist: return "!" + key
            case .in, .notIn: return "\(key) \(self.operator.rawValue) (\(values.joined(separator: ",")))"
            case .greaterThan: return "\(key)>\(values.first ?? "")"
            case .lessThan: return "\(key)<\(values.first ?? "")"
            default: return "\(key)\(self.operator.rawValue)\(values.first ?? "")"
            }
        }
    }

    /// Requirements sorted by key; empty selects everything.
    public var requirements: [Requirement]
    /// Selects nothing (a `LabelSelector` object with an impossible term).
    public var selectsNothing = false

    public static let everything = LabelSelector(requirements: [])
    public static let nothing = LabelSelector(requirements: [], selectsNothing: true)

    public init(requirements: [Requirement], selectsNothing: Bool = false) {
        self.requirements = requirements.sorted { $0.key < $1.key }
        self.selectsNothing = selectsNothing
    }

    public var isEverything: Bool { requirements.isEmpty && !selectsNothing }

    public func matches(_ labels: [String: String]) -> Bool {
        if selectsNothing { return false }
        for requirement in requirements where !requirement.matches(labels) { return false }
        return true
    }

    public var description: String { requirements.map(\.text).joined(separator: ",") }

    /// Parses the string form; throws with upstream's message (`unable to parse requirement: ...`).
    public init(parsing text: String) throws(SelectorError) {
        var parser = LabelSelectorParser(text)
        requirements = try parser.parse().sorted { $0.key < $1.key }
        selectsNothing = false
    }

    /// The selector of a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`), as
    /// `LabelSelectorAsSelector` builds it: `nil`/absent selects nothing, `{}` everything.
    public init(object: JSONValue?) throws(SelectorError) {
        guard let object, case .object = object else {
            self = .nothing
            return
        }
        var requirements: [Requirement] = []
        for (key, value) in object["matchLabels"]?.objectValue ?? [:] {
            let v = value.stringValue ?? ""
            try LabelSelectorParser.validate(key: key, values: [v])
            requirements.append(Requirement(key: key, operator: .equals, values: [v]))
        }
        for expression in object["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue)
            let op: Operator
            switch expression["operator"]?.stringValue ?? "" {
            case "In": op = .in
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            case let other: throw SelectorError("\"\(other)\" is not a valid label selector operator")
            }
            switch op {
            case .in, .notIn:
                if values.isEmpty { throw SelectorError("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty") }
            default:
                if !values.isEmpty { throw SelectorError("values: Invalid value: \(values): values set must be empty for exists and does not exist") }
            }
            try LabelSelectorParser.validate(key: key, values: values)
            requirements.append(Requirement(key: key, operator: op, values: values.sorted()))
        }
        self.init(requirements: requirements)
    }
}

/// A selector that could not be parsed or is invalid; the message is upstream's.
public struct SelectorError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Upstream's hand-written lexer and parser of the label selector grammar.
struct LabelSelectorParser {
    enum Token: Equatable {
        case identifier(String)
        case openParen, closeParen, comma, bang, equals, doubleEquals, notEquals, greater, less
        case inKeyword, notInKeyword
        case end

        var text: String {
            switch self {
            case .identifier(let s): return s
            case .openParen: return "("
            case .closeParen: return ")"
            case .comma: return ","
            case .bang: return "!"
            case .equals: return "="
            case .doubleEquals: return "=="
            case .notEquals: return "!="
            case .greater: return ">"
            case .less: return "<"
            case .inKeyword: return "in"
            case .notInKeyword: return "notin"
            case .end: return ""
            }
        }
    }

    var tokens: [Token] = []
    var position = 0

    init(_ text: String) {
        tokens = Self.lex(Array(text.unicodeScalars))
    }

    static func isSpecial(_ c: Unicode.Scalar) -> Bool {
        c == "(" || c == ")" || c == "," || c == "!" || c == "=" || c == "<" || c == ">"
    }

    static func lex(_ s: [Unicode.Scalar]) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1; continue }
            switch c {
            case "(": tokens.append(.openParen); i += 1
            case ")": tokens.append(.closeParen); i += 1
            case ",": tokens.append(.comma); i += 1
            case "<": tokens.append(.less); i += 1
            case ">": tokens.append(.greater); i += 1
            case "!":
                if i + 1 < s.count, s[i + 1] == "=" { tokens.append(.notEquals); i += 2 } else { tokens.append(.bang); i += 1 }
            case "=":
                if i + 1 < s.count, s[i + 1] == "=" { tokens.append(.doubleEquals); i += 2 } else { tokens.append(.equals); i += 1 }
            default:
                var word = String.UnicodeScalarView()
                while i < s.count, !isSpecial(s[i]), s[i] != " ", s[i] != "\t", s[i] != "\n", s[i] != "\r" {
                    word.append(s[i])
                    i += 1
                }
                let w = String(word)
                tokens.append(w == "in" ? .inKeyword : w == "notin" ? .notInKeyword : .identifier(w))
            }
        }
        tokens.append(.end)
        return tokens
    }

    mutating func next() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    func peek() -> Token { tokens[position] }

    mutating func parse() throws(SelectorError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        if peek() == .end { return [] }
        while true {
            requirements.append(try parseRequirement())
            switch next() {
            case .end: return requirements
            case .comma:
                if peek() == .end { throw SelectorError("found '', expected: identifier after ','") }
            case let other:
                throw SelectorError("found '\(other.text)', expected: ',' or 'end of string'")
            }
        }
    }

    mutating func parseRequirement() throws(SelectorError) -> LabelSelector.Requirement {
        var key: String
        var op: LabelSelector.Operator
        if peek() == .bang {
            _ = next()
            guard case .identifier(let k) = next() else {
                throw SelectorError("unable to parse requirement: found '\(tokens[position - 1].text)', expected: identifier")
            }
            try Self.validate(key: k, values: [])
            return LabelSelector.Requirement(key: k, operator: .doesNotExist, values: [])
        }
        let first = next()
        guard case .identifier(let k) = first else {
            throw SelectorError("unable to parse requirement: found '\(first.text)', expected: identifier")
        }
        key = k
        switch peek() {
        case .end, .comma:
            try Self.validate(key: key, values: [])
            return LabelSelector.Requirement(key: key, operator: .exists, values: [])
        case .equals: op = .equals
        case .doubleEquals: op = .doubleEquals
        case .notEquals: op = .notEquals
        case .inKeyword: op = .in
        case .notInKeyword: op = .notIn
        case .greater: op = .greaterThan
        case .less: op = .lessThan
        case let other:
            throw SelectorError("unable to parse requirement: found '\(other.text)', expected: in, notin, =, ==, !=, gt, lt")
        }
        _ = next()
        var values: [String]
        switch op {
        case .in, .notIn:
            values = try parseValueSet()
        default:
            switch peek() {
            case .identifier(let v):
                _ = next()
                values = [v]
            case .end, .comma:
                values = [""]
            case let other:
                throw SelectorError("unable to parse requirement: found '\(other.text)', expected: identifier")
            }
            if op == .greaterThan || op == .lessThan, Int64(values[0]) == nil {
                throw SelectorError("unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer")
            }
        }
        try Self.validate(key: key, values: op == .greaterThan || op == .lessThan ? [] : values)
        return LabelSelector.Requirement(key: key, operator: op, values: Array(Set(values)).sorted())
    }

    mutating func parseValueSet() throws(SelectorError) -> [String] {
        let open = next()
        guard open == .openParen else {
            throw SelectorError("unable to parse requirement: found '\(open.text)', expected: '('")
        }
        var values: [String] = []
        if peek() == .closeParen {
            _ = next()
            throw SelectorError("unable to parse requirement: for 'in', 'notin' operators, values set can't be empty")
        }
        while true {
            switch next() {
            case .identifier(let v): values.append(v)
            case .comma:
                // An empty value between commas: `(a,,b)`.
                values.append("")
                continue
            case let other:
                throw SelectorError("unable to parse requirement: found '\(other.text)', expected: ',', ')' or identifier")
            }
            switch next() {
            case .comma:
                if peek() == .closeParen {
                    values.append("")
                    _ = next()
                    return values
                }
                continue
            case .closeParen: return values
            case let other:
                throw SelectorError("unable to parse requirement: found '\(other.text)', expected: ',' or ')'")
            }
        }
    }

    /// Keys must be qualified names, values valid label values (upstream's `validateLabelKey/Value`).
    static func validate(key: String, values: [String]) throws(SelectorError) {
        let keyProblems = NameValidation.qualifiedName(key)
        if !keyProblems.isEmpty {
            throw SelectorError("unable to parse requirement: key: Invalid value: \"\(key)\": \(keyProblems.joined(separator: "; "))")
        }
        for value in values {
            let problems = NameValidation.labelValue(value)
            if !problems.isEmpty {
                throw SelectorError("unable to parse requirement: values[0][\(key)]: Invalid value: \"\(value)\": \(problems.joined(separator: "; "))")
            }
        }
    }
}
