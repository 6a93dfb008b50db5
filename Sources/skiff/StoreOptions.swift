import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SkiffStorage

/// `--datastore sqlite|memory|etcd://host:port[,host:port...]`.
struct StoreOptions: ParsableArguments {
    @Option(help: "The store: sqlite (embedded, default), memory, or etcd://host:port[,host:port...].")
    var datastore: String = "sqlite"

    func validate() throws {
        switch datastore {
        case "sqlite", "memory": return
        default:
            guard datastore.hasPrefix("etcd://"), datastore.count > "etcd://".count else {
                throw ValidationError("--datastore must be sqlite, memory or etcd://host:port[,host:port...] (got \"\(datastore)\")")
            }
        }
    }

    /// Opens the store; SQLite lives in `DIR/db/state.db` (created on first start).
    func makeStore(dataDirectory: URL, logger: Logger) async throws -> any Store {
        switch datastore {
        case "memory":
            return MemoryStore()
        case "sqlite":
            let directory = dataDirectory.appendingPathComponent("db")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            chmod(directory.path, 0o700)
            return try SQLiteStore(path: directory.appendingPathComponent("state.db").path, logger: logger)
        default:
            return try EtcdStore(url: datastore, logger: logger)
        }
    }

    /// The background compaction loop for stores that keep history (not the memory store's bounded log).
    func makeCompactor(store: any Store, logger: Logger) -> CompactorService? {
        datastore == "memory" ? nil : CompactorService(compactor: StoreCompactor(store: store, logger: logger))
    }
}

/// Runs the store's compaction loop until the service group shuts down.
struct CompactorService: Service {
    let compactor: StoreCompactor

    func run() async throws {
        await cancelWhenGracefulShutdown { await compactor.run() }
    }
}
