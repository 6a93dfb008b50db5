/// A field selector (`metadata.name=web,status.phase!=Running`) as `k8s.io/apimachinery/pkg/fields`
/// parses it: terms joined by commas, `=`, `==` or `!=`, with `\` escaping `,`, `=`, `!` and `\`.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    public struct Requirement: Sendable, Hashable {
        public var field: String
        /// `=` or `!=` (`==` is read as `=`).
        public var equals: Bool
        public var value: String
    }

    public var requirements: [Requirement]

    public static let everything = FieldSelector(requirements: [])

    public init(requirements: [Requirement]) { self.requirements = requirements }

    public var isEverything: Bool { requirements.isEmpty }

    /// Whether `fields` (missing fields read as empty strings) satisfy every term.
    public func matches(_ fields: [String: String]) -> Bool {
        for r in requirements {
            let have = fields[r.field] ?? ""
            if (have == r.value) != r.equals { return false }
        }
        return true
    }

    public var description: String {
        requirements.map { "\($0.field)\($0.equals ? "=" : "!=")\(Self.escape($0.value))" }.joined(separator: ",")
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "\\" || c == "," || c == "=" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Parses the string form; throws with upstream's message (`invalid selector: ...`).
    public init(parsing text: String) throws(SelectorError) {
        var requirements: [Requirement] = []
        if text.isEmpty {
            self.requirements = []
            return
        }
        for term in Self.splitTerms(text) {
            guard !term.isEmpty else { continue }
            guard let (field, op, value) = Self.splitTerm(term) else {
                throw SelectorError("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            let unescaped: String
            do { unescaped = try Self.unescape(value) } catch {
                throw SelectorError("invalid selector: '\(text)'; \(error.message)")
            }
            requirements.append(Requirement(field: field, equals: op != "!=", value: unescaped))
        }
        self.requirements = requirements
    }

    /// Splits on commas not preceded by a backslash.
    static func splitTerms(_ text: String) -> [String] {
        var terms: [String] = []
        var current = ""
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" {
                current.append(c)
                escaped = true
            } else if c == "," {
                terms.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        terms.append(current)
        return terms
    }

    /// `field op value` at the first unescaped operator.
    static func splitTerm(_ term: String) -> (String, String, String)? {
        let chars = Array(term)
        var i = 0
        var escaped = false
        while i < chars.count {
            let c = chars[i]
            if escaped { escaped = false } else if c == "\\" { escaped = true } else {
                for op in ["!=", "==", "="] {
                    let opChars = Array(op)
                    if i + opChars.count <= chars.count, Array(chars[i..<(i + opChars.count)]) == opChars {
                        return (String(chars[..<i]), op, String(chars[(i + opChars.count)...]))
                    }
                }
            }
            i += 1
        }
        return nil
    }

    static func unescape(_ value: String) throws(SelectorError) -> String {
        var out = ""
        var escaped = false
        for c in value {
            if escaped {
                guard c == "\\" || c == "," || c == "=" || c == "!" else {
                    throw SelectorError("invalid escape sequence: \\\(c)")
                }
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "," || c == "=" {
                throw SelectorError("unescaped \(c)")
            } else {
                out.append(c)
            }
        }
        if escaped { throw SelectorError("unterminated escape sequence") }
        return out
    }
}
