import SkiffAPI

extension ProtobufJSONConverter {
    /// Messages whose Go types write custom JSON (`MarshalJSON`): times, durations, quantities, int-or-strings,
    /// embedded raw JSON and the apiextensions schema unions.
    mutating func convertSpecial(
        _ message: ProtobufMessageDescriptor, entries: Range<Int>, isEmpty: Bool, depth: Int
    ) throws(KubernetesProtobufError) -> JSONValue? {
        func last(_ number: Int) -> Entry? { lastEntry(number: number, of: message, entries: entries) }
        func text(_ number: Int) -> String? { last(number).map { string($0.range) } }

        switch message.conversion {
        case .time:
            // metav1.Time keeps whole seconds only; an empty message is the zero time.
            let seconds = Int64(bitPattern: last(1)?.value ?? 0)
            if isEmpty || seconds == GoValueFormatting.zeroTimeUnixSeconds { return nil }
            return .string(GoValueFormatting.rfc3339(unixSeconds: seconds))
        case .microTime:
            if isEmpty { return nil }
            var seconds = Int64(bitPattern: last(1)?.value ?? 0)
            let nanos = Int64(Int32(truncatingIfNeeded: last(2)?.value ?? 0))
            // Truncated to microseconds, then normalized into [0, 1s) as Go's time.Unix does (nanos may be any
            // int32, more than a second either way).
            var nanoseconds = nanos - nanos % 1_000
            seconds &+= nanoseconds / 1_000_000_000
            nanoseconds %= 1_000_000_000
            if nanoseconds < 0 {
                nanoseconds += 1_000_000_000
                seconds &-= 1
            }
            if seconds == GoValueFormatting.zeroTimeUnixSeconds, nanoseconds == 0 { return nil }
            return .string(GoValueFormatting.rfc3339(unixSeconds: seconds, microseconds: nanoseconds / 1_000))
        case .duration:
            return .string(GoValueFormatting.duration(nanoseconds: Int64(bitPattern: last(1)?.value ?? 0)))
        case .quantity:
            guard let quantity = text(1) else { return .string("0") }
            guard GoValueFormatting.isQuantity(quantity) else {
                throw KubernetesProtobufError(
                    .invalidValue, "protobuf body holds an invalid quantity \"\(quantity.prefix(64))\": quantities "
                        + "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
            }
            return .string(quantity)
        case .intOrString:
            switch Int64(bitPattern: last(1)?.value ?? 0) {
            case 0: return .int(Int64(Int32(truncatingIfNeeded: last(2)?.value ?? 0)))
            case 1: return .string(text(3) ?? "")
            case let type:
                throw KubernetesProtobufError(
                    .invalidValue, "protobuf body holds an IntOrString of impossible type \(type)")
            }
        case .rawJSON:
            guard let range = last(1)?.range, !range.isEmpty else { return nil }
            return try embeddedJSON(range, in: message)
        case .jsonSchemaPropsOrBool:
            if let schema = try groupValue(number: 2, of: message, entries: entries, depth: depth) { return schema }
            return .bool((last(1)?.value ?? 0) != 0)
        case .jsonSchemaPropsOrArray:
            if let schemas = try groupValue(number: 2, of: message, entries: entries, depth: depth),
                !schemas.isGoEmpty
            {
                return schemas
            }
            return try groupValue(number: 1, of: message, entries: entries, depth: depth)
        case .jsonSchemaPropsOrStringArray:
            if let property = try groupValue(number: 2, of: message, entries: entries, depth: depth),
                !property.isGoEmpty
            {
                return property
            }
            return try groupValue(number: 1, of: message, entries: entries, depth: depth)
        case .object, .wrapper:
            var object = JSONObject()
            try convertObject(message, entries: entries, depth: depth, into: &object)
            return .object(object)
        }
    }

    /// Raw bytes that Go's JSON writes verbatim: they must be JSON (CBOR is not supported here).
    private func embeddedJSON(
        _ range: Range<Int>, in message: ProtobufMessageDescriptor
    ) throws(KubernetesProtobufError) -> JSONValue {
        let raw = UnsafeBufferPointer(rebasing: bytes[range])
        // CBOR's self-described tag 55799, which apimachinery uses to tell CBOR from JSON.
        if raw.count >= 3, raw[0] == 0xD9, raw[1] == 0xD9, raw[2] == 0xF7 {
            throw KubernetesProtobufError(
                .unsupported, "protobuf body embeds CBOR in a \(message.name); only JSON is supported")
        }
        do {
            return try JSONValue(parsing: raw)
        } catch {
            throw KubernetesProtobufError(
                .invalidValue, "protobuf body embeds invalid JSON in a \(message.name): \(error.message)")
        }
    }
}
