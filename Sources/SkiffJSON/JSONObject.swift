public import OrderedCollections

/// The members of a JSON object, in insertion order. Equality ignores order, as JSON's does.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    /// Members in insertion order; keys are unique.
    public private(set) var storage: OrderedDictionary<String, JSONValue>

    public init() { storage = [:] }

    public init(minimumCapacity: Int) { storage = OrderedDictionary(minimumCapacity: minimumCapacity) }

    public init(_ storage: OrderedDictionary<String, JSONValue>) { self.storage = storage }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        storage = OrderedDictionary(minimumCapacity: elements.count)
        for (k, v) in elements { storage[k] = v }
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    public var keys: OrderedSet<String> { storage.keys }
    public var values: OrderedDictionary<String, JSONValue>.Values { storage.values }

    /// The member named `key`; assigning `nil` removes it, assigning to an existing key keeps its position.
    public subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set { storage[key] = newValue }
    }

    /// Mutates the member named `key` in place (appending `defaultValue` first when it is missing).
    public mutating func modifyValue<R>(
        forKey key: String, default defaultValue: @autoclosure () -> JSONValue, _ body: (inout JSONValue) throws -> R
    ) rethrows -> R {
        try body(&storage[key, default: defaultValue()])
    }

    /// Mutates the member at `index` (of `keys`) in place: no hashing, no copy of the value.
    public mutating func modifyValue<R>(at index: Int, _ body: (inout JSONValue) throws -> R) rethrows -> R {
        try body(&storage.values[index])
    }

    /// Sets `value` for `key`, returning the value it replaced (nil when the key is new).
    @discardableResult
    public mutating func updateValue(_ value: JSONValue, forKey key: String) -> JSONValue? {
        storage.updateValue(value, forKey: key)
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? { storage.removeValue(forKey: key) }

    /// Removes the member at `index` (of `keys`).
    public mutating func remove(at index: Int) { storage.remove(at: index) }

    /// Sorts members by key (Go's `encoding/json` writes maps this way).
    public mutating func sortKeys() { storage.sort { $0.key < $1.key } }

    public func makeIterator() -> some IteratorProtocol<Element> {
        storage.lazy.map { (key: $0.key, value: $0.value) }.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (k, v) in lhs.storage {
            guard let other = rhs.storage[k], other == v else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine per-member hashes commutatively.
        var acc = 0
        for (k, v) in storage {
            var h = Hasher()
            h.combine(k)
            h.combine(v)
            acc ^= h.finalize()
        }
        hasher.combine(count)
        hasher.combine(acc)
    }
}
