import SkiffAPI

/// Turns a request's `labelSelector`, `fieldSelector` and namespace into the filter lists, watches and
/// deletecollection apply, with upstream's errors for selectors that do not parse or name a field the
/// resource cannot select on.
enum Selectors {
    static func filter(for request: RESTRequest) throws(APIError) -> WatchFilter {
        let labels: LabelSelector
        do {
            labels = try LabelSelector(parsing: request.query["labelSelector"] ?? "")
        } catch {
            throw .badRequest(error.message)
        }
        var fields: FieldSelector
        do {
            fields = try FieldSelector(parsing: request.query["fieldSelector"] ?? "")
        } catch {
            throw .badRequest(error.message)
        }
        if let conversion = request.resource.conversion {
            // A converted version selects on its own labels, matched against the stored object's
            // fields under the storage version's names (upstream's field label conversion).
            let labels = conversion.converter.fieldLabels
            for index in fields.requirements.indices {
                guard let storageLabel = labels[fields.requirements[index].field] else {
                    throw .badRequest("field label not supported: \(fields.requirements[index].field)")
                }
                fields.requirements[index].field = storageLabel
            }
        } else {
            let supported = Set(request.resource.fields.supported)
            for requirement in fields.requirements where !supported.contains(requirement.field) {
                throw .badRequest("field label not supported: \(requirement.field)")
            }
        }
        // A plain `metadata.name=x` narrows to one name, which lets the cache skip the rest.
        var name: String? = nil
        for requirement in fields.requirements where requirement.field == "metadata.name" && requirement.equals {
            name = requirement.value
        }
        let namespaceField = fields.requirements.first { $0.field == "metadata.namespace" && $0.equals }?.value
        var namespace = request.namespace
        if namespace == nil, let namespaceField { namespace = namespaceField }
        if labels.isEverything && fields.isEverything {
            return WatchFilter(namespace: namespace, name: nil, matchesSelectors: { _ in true }, isEverything: true)
        }
        let selected = fields
        return WatchFilter(namespace: namespace, name: name, matchesSelectors: { object in
            labels.matches(object.labels) && selected.matches(object.fields)
        })
    }

    /// The string form of a `metav1.LabelSelector` object (`matchLabels` then `matchExpressions`), as the
    /// scale subresource reports it in `status.selector`.
    static func labelSelectorString(_ selector: JSONValue) -> String {
        (try? LabelSelector(object: selector))?.description ?? ""
    }
}
