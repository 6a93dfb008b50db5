import SkiffServerCodecs
import Foundation
import SkiffAPI

/// The built-in resources with their behaviour, schemas from the embedded OpenAPI documents, and
/// the OpenAPI documents the server publishes.
enum BuiltinCatalog {
    static var schemaSource: any SchemaSource { EmbeddedOpenAPI.schemaSource }

    static var openAPISource: any OpenAPIDocumentSource { EmbeddedOpenAPIDocuments() }

    static func registry(schemas: SchemaRegistry) -> ResourceRegistry {
        let infos = BuiltinResources.infos
        let shared = KindSharedState()
        let served = infos.map {
            ServedResource(info: $0, definition: BuiltinKinds.definition(group: $0.group, resource: $0.resource), shared: shared,
                           schemas: schemas)
        }
        var all = served
        for alternate in BuiltinResources.convertedVersions {
            guard let storage = served.first(where: { $0.group == alternate.storageGroup && $0.resource == alternate.info.resource }) else {
                continue
            }
            all.append(ServedResource(info: alternate.info, servingFrom: storage, converter: alternate.converter))
        }
        let registry = ResourceRegistry(resources: all, groupOrder: BuiltinResources.groupOrder)
        if let services = registry.resource(group: "", resource: "services") {
            let cache = services.cache
            shared.services.services.withLock { $0 = { cache.list(namespace: nil, atLeast: 0).objects.compactMap { try? $0.parsed() } } }
        }
        return registry
    }
}
