// The controller of docs/client.md, word for word: a third-party controller written against SkiffClient.
import Logging
import SkiffAPI
import SkiffClient

/// Keeps `<name>-copy` beside every ConfigMap labelled `copy=true`, with the same data.
struct ConfigMapCopier: Reconciler {
    let configMaps: Informer<core.v1.ConfigMap>
    let api: Api<core.v1.ConfigMap>

    func reconcile(_ key: String) async throws -> Requeue {
        guard let source = configMaps.indexer.get(key: key), source.metadata?.labels?["copy"] == "true" else { return .done }
        let (namespace, name) = splitObjectKey(key)
        if var copy = configMaps.indexer.get(key: "\(namespace)/\(name)-copy") {
            guard copy.data != source.data else { return .done }
            copy.data = source.data
            _ = try await api.update(copy)
        } else {
            let metadata = meta.v1.ObjectMeta(name: "\(name)-copy", namespace: namespace)
            _ = try await api.create(core.v1.ConfigMap(data: source.data, metadata: metadata))
        }
        return .done
    }
}

/// Runs the copier until cancelled: one typed informer, a queue fed by its events, two workers.
func runConfigMapCopier(client: RESTClient, logger: Logger) async {
    let factory = SharedInformerFactory(client: client, logger: logger)
    let configMaps = factory.informer(core.v1.ConfigMap.self)
    let queue = WorkQueue<String, ContinuousClock>(name: "configmap_copier")
    let runner = ReconcileRunner(
        name: "configmap-copier", reconciler: ConfigMapCopier(configMaps: configMaps, api: client.configMaps()),
        queue: queue, workers: 2, caches: [{ await configMaps.waitForSync() }],
        sources: [{ for await event in configMaps.events() { await queue.add(event.object.objectKey) } }], logger: logger)
    await withDiscardingTaskGroup { group in
        group.addTask { try? await factory.run() }
        group.addTask { await runner.run() }
    }
}
