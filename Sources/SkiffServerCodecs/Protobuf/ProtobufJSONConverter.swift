import SkiffAPI
/// Turns protobuf-encoded Kubernetes messages into the JSON that Go's encoding/json writes for the decoded Go value.
///
/// A message is read in two steps: its fields are first collected as `Entry`s (wire-type checked, unknown fields
/// skipped) onto the end of `stack`, then sorted into the table's field order, which is Go's declaration order,
/// and converted group by group. Collecting first lets repeated occurrences of a singular message merge, as
/// protobuf requires. Nested messages push their entries above their parent's and pop them when done, so one
/// buffer serves the whole body.
struct ProtobufJSONConverter {
    let messages: [ProtobufMessageDescriptor]
    let bytes: UnsafeBufferPointer<UInt8>
    /// The entries of every message being converted, innermost last.
    private(set) var stack: [Entry] = []

    /// Deeper nesting than any Kubernetes object needs (CRD schemas included) is refused, not recursed into.
    static let maximumDepth = 128

    struct Entry {
        /// Index of the field in its message's `fields`.
        var slot: Int32
        /// Wire order, to keep repeated values in order after sorting by slot.
        var sequence: Int32
        var wireType: ProtobufWireType
        /// The value of a varint or fixed field.
        var value: UInt64
        /// The bytes of a length-delimited field.
        var range: Range<Int>
    }

    init(schema: ProtobufSchema, bytes: UnsafeBufferPointer<UInt8>) {
        self.messages = schema.messages
        self.bytes = bytes
        stack.reserveCapacity(256)
    }

    // MARK: - Collecting

    /// Pushes the entries of the message encoded in `part`, unsorted.
    private mutating func collectEntries(
        of message: ProtobufMessageDescriptor, part: Range<Int>, base: Int
    ) throws(KubernetesProtobufError) {
        var reader = ProtobufWireReader(bytes, range: part)
        while let (number, wireType) = try reader.readTag() {
            let tagOffset = reader.offset
            guard let slot = message.slot(forNumber: number) else {
                try reader.skipValue(of: wireType, number: number)
                continue
            }
            let expected: ProtobufWireType
            let isRepeated: Bool
            do {
                let field = message.fields[slot]
                isRepeated = field.isRepeated
                switch field.type {
                case .scalar(let scalar) where field.mapKey == nil: expected = scalar.wireType
                default: expected = .lengthDelimited
                }
            }
            guard wireType == expected || (isRepeated && wireType == .lengthDelimited) else {
                throw wrongWireType(wireType, slot: slot, message, at: tagOffset)
            }
            var entry = Entry(slot: Int32(slot), sequence: Int32(truncatingIfNeeded: stack.count - base),
                              wireType: wireType, value: 0, range: 0..<0)
            switch wireType {
            case .varint: entry.value = try reader.readVarint()
            case .fixed64: entry.value = try reader.readFixed64()
            case .fixed32: entry.value = try reader.readFixed32()
            case .lengthDelimited: entry.range = try reader.readLengthDelimited()
            case .startGroup, .endGroup: throw wrongWireType(wireType, slot: slot, message, at: tagOffset)
            }
            stack.append(entry)
        }
    }

    /// Pushes and sorts the entries of a message made of the concatenation of `parts` (usually one); returns
    /// where they start on the stack.
    mutating func pushEntries(
        of message: ProtobufMessageDescriptor, parts: PartList
    ) throws(KubernetesProtobufError) -> Int {
        let base = stack.count
        switch parts {
        case .one(let part):
            try collectEntries(of: message, part: part, base: base)
        case .stacked(let indices):
            for index in indices { try collectEntries(of: message, part: stack[index].range, base: base) }
        }
        // Usually already in order (Go writes fields by number, which mostly follows declaration order).
        var sorted = true
        var previous: Int32 = -1
        for index in base..<stack.count {
            if stack[index].slot < previous {
                sorted = false
                break
            }
            previous = stack[index].slot
        }
        if !sorted {
            stack[base...].sort { ($0.slot, $0.sequence) < ($1.slot, $1.sequence) }
        }
        return base
    }

    private func wrongWireType(
        _ wireType: ProtobufWireType, slot: Int, _ message: ProtobufMessageDescriptor, at offset: Int
    ) -> KubernetesProtobufError {
        .malformed("wrong wire type \(wireType.rawValue) for field \(message.name).\(message.fields[slot].jsonName)",
                   at: offset)
    }

    // MARK: - Converting

    /// The bytes of a message: one range, or (for a singular message sent more than once) the ranges of the stack
    /// entries at `indices`, which protobuf merges.
    enum PartList {
        case one(Range<Int>)
        case stacked(Range<Int>)

        var isEmpty: Bool {
            if case .one(let range) = self { return range.isEmpty }
            return false
        }
    }

    /// The JSON of a message; `nil` where Go writes `null` (the zero time, an empty raw extension), which an
    /// object leaves out.
    mutating func convertMessage(
        _ index: Int, parts: PartList, depth: Int
    ) throws(KubernetesProtobufError) -> JSONValue? {
        let message = messages[index]
        guard depth < Self.maximumDepth else {
            throw KubernetesProtobufError(
                .invalidValue, "protobuf body nests deeper than \(Self.maximumDepth) messages")
        }
        let base = try pushEntries(of: message, parts: parts)
        defer { stack.removeLast(stack.count - base) }
        switch message.conversion {
        case .object:
            var object = JSONObject(minimumCapacity: fieldCount(in: base..<stack.count))
            try convertObject(message, entries: base..<stack.count, depth: depth, into: &object)
            return .object(object)
        case .wrapper:
            return try groupValue(number: 1, of: message, entries: base..<stack.count, depth: depth) ?? .array([])
        default:
            var isEmpty = parts.isEmpty
            if case .stacked(let indices) = parts { isEmpty = indices.allSatisfy { stack[$0].range.isEmpty } }
            return try convertSpecial(message, entries: base..<stack.count, isEmpty: isEmpty, depth: depth)
        }
    }

    /// How many distinct fields the sorted entries hold: the members an object will have, at most. (Reserving
    /// one per entry would give objects with many repeated entries a hash table they do not need.)
    private func fieldCount(in entries: Range<Int>) -> Int {
        var count = 0
        var previous: Int32 = -1
        for index in entries where stack[index].slot != previous {
            count += 1
            previous = stack[index].slot
        }
        return count
    }

    /// Appends the members of a message whose sorted entries are `entries` to `object`.
    mutating func convertObject(
        _ message: ProtobufMessageDescriptor, entries: Range<Int>, depth: Int, into object: inout JSONObject
    ) throws(KubernetesProtobufError) {
        var start = entries.lowerBound
        while start < entries.upperBound {
            let slot = stack[start].slot
            var end = start + 1
            while end < entries.upperBound, stack[end].slot == slot { end += 1 }
            let field = message.fields[Int(slot)]
            let group = start..<end
            start = end
            // A zero scalar under omitempty is dropped before any string is made of it.
            if field.omitEmpty, !field.isRepeated, field.mapKey == nil, case .scalar = field.type,
                let last = group.last.map({ stack[$0] }), last.value == 0, last.range.isEmpty
            {
                continue
            }
            guard let value = try convertGroup(field, entries: group, depth: depth) else { continue }
            if field.omitEmpty, value.isGoEmpty { continue }
            if field.isInline, case .object(let members) = value {
                // The enclosing struct's own fields win over promoted ones, as in Go.
                for (key, member) in members where object[key] == nil { object[key] = member }
                continue
            }
            object[field.jsonName] = value
        }
    }

    /// The value of the field numbered `number` among a message's sorted entries, or `nil` if absent.
    mutating func groupValue(
        number: Int, of message: ProtobufMessageDescriptor, entries: Range<Int>, depth: Int
    ) throws(KubernetesProtobufError) -> JSONValue? {
        guard let slot = message.slot(forNumber: number) else { return nil }
        guard let first = entries.first(where: { stack[$0].slot == Int32(slot) }) else { return nil }
        var end = first + 1
        while end < entries.upperBound, stack[end].slot == Int32(slot) { end += 1 }
        return try convertGroup(message.fields[slot], entries: first..<end, depth: depth)
    }

    /// The last entry of the field numbered `number` among a message's sorted entries.
    func lastEntry(number: Int, of message: ProtobufMessageDescriptor, entries: Range<Int>) -> Entry? {
        guard let slot = message.slot(forNumber: number) else { return nil }
        return entries.last { stack[$0].slot == Int32(slot) }.map { stack[$0] }
    }

    /// The value of all occurrences of one field: a map, an array, or the singular (merged or last) value.
    mutating func convertGroup(
        _ field: ProtobufFieldDescriptor, entries: Range<Int>, depth: Int
    ) throws(KubernetesProtobufError) -> JSONValue? {
        if let key = field.mapKey {
            return .object(try convertMap(field, key: key, entries: entries, depth: depth))
        }
        switch field.type {
        case .scalar(let scalar):
            if field.isRepeated {
                var array: [JSONValue] = []
                array.reserveCapacity(entries.count)
                for index in entries {
                    let entry = stack[index]
                    if entry.wireType == .lengthDelimited, scalar.wireType != .lengthDelimited {
                        try appendPacked(scalar, range: entry.range, to: &array)
                    } else {
                        array.append(try scalarValue(scalar, entry))
                    }
                }
                return .array(array)
            }
            guard let last = entries.last else { return nil }
            return try scalarValue(scalar, stack[last])
        case .message(let index):
            if field.isRepeated {
                var array: [JSONValue] = []
                array.reserveCapacity(entries.count)
                for entry in entries {
                    array.append(try convertMessage(index, parts: .one(stack[entry].range), depth: depth + 1) ?? .null)
                }
                return .array(array)
            }
            if entries.count == 1 {
                return try convertMessage(index, parts: .one(stack[entries.lowerBound].range), depth: depth + 1)
            }
            return try convertMessage(index, parts: .stacked(entries), depth: depth + 1)
        }
    }

    private mutating func convertMap(
        _ field: ProtobufFieldDescriptor, key keyType: ProtobufScalar, entries: Range<Int>, depth: Int
    ) throws(KubernetesProtobufError) -> JSONObject {
        var object = JSONObject(minimumCapacity: entries.count)
        // Go writes map keys sorted, so they usually arrive in order and need no sorting here.
        var previousKey: String?
        var isSorted = true
        for index in entries {
            var reader = ProtobufWireReader(bytes, range: stack[index].range)
            var key: JSONValue?
            var value: JSONValue?
            var valueRange: Range<Int>?
            while let (number, wireType) = try reader.readTag() {
                let offset = reader.offset
                switch number {
                case 1 where wireType == keyType.wireType:
                    key = try scalarValue(keyType, readEntry(&reader, wireType))
                case 2:
                    switch field.type {
                    case .scalar(let scalar) where wireType == scalar.wireType:
                        value = try scalarValue(scalar, readEntry(&reader, wireType))
                    case .message where wireType == .lengthDelimited:
                        valueRange = try reader.readLengthDelimited()
                    default:
                        throw .malformed("wrong wire type \(wireType.rawValue) for a value of map \(field.jsonName)",
                                         at: offset)
                    }
                case 1:
                    throw .malformed("wrong wire type \(wireType.rawValue) for a key of map \(field.jsonName)",
                                     at: offset)
                default:
                    try reader.skipValue(of: wireType, number: number)
                }
            }
            if case .message(let index) = field.type {
                // A missing value is the zero message, as in Go's generated code.
                value = try convertMessage(index, parts: .one(valueRange ?? 0..<0), depth: depth + 1) ?? .null
            }
            let keyString: String
            switch key {
            case .string(let text): keyString = text
            case .int(let number): keyString = String(number)
            case .bool(let flag): keyString = String(flag)
            default: keyString = ""
            }
            if isSorted, let previousKey, !(previousKey < keyString) { isSorted = false }
            previousKey = keyString
            // A key sent twice keeps its last value, as in Go's map.
            object[keyString] = value ?? zeroValue(of: field.type)
        }
        // Go's encoding/json writes map keys sorted.
        if !isSorted { object.sortKeys() }
        return object
    }

    private func readEntry(
        _ reader: inout ProtobufWireReader, _ wireType: ProtobufWireType
    ) throws(KubernetesProtobufError) -> Entry {
        var entry = Entry(slot: 0, sequence: 0, wireType: wireType, value: 0, range: 0..<0)
        switch wireType {
        case .varint: entry.value = try reader.readVarint()
        case .fixed64: entry.value = try reader.readFixed64()
        case .fixed32: entry.value = try reader.readFixed32()
        case .lengthDelimited: entry.range = try reader.readLengthDelimited()
        case .startGroup, .endGroup: throw .malformed("unexpected group", at: reader.offset)
        }
        return entry
    }

    private func zeroValue(of type: ProtobufFieldType) -> JSONValue {
        switch type {
        case .scalar(.string), .scalar(.bytes): return .string("")
        case .scalar(.bool): return .bool(false)
        case .scalar(.double), .scalar(.float): return .double(0)
        case .scalar: return .int(0)
        case .message: return .null
        }
    }
}

extension JSONValue {
    /// What Go's `omitempty` calls empty: false, 0, "", and empty slices and maps.
    var isGoEmpty: Bool {
        switch self {
        case .null: return true
        case .bool(let flag): return !flag
        case .int(let number): return number == 0
        case .double(let number): return number == 0
        case .string(let text): return text.isEmpty
        case .array(let elements): return elements.isEmpty
        case .object(let members): return members.isEmpty
        }
    }
}
