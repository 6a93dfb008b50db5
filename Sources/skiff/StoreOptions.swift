import ArgumentParser
import Foundation
import Logging
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

    func makeStore(dataDirectory: URL, logger: Logger) async throws -> any Store {
        switch datastore {
        case "memory":
            return MemoryStore()
        default:
            throw ValidationError("--datastore \(datastore) is not available in this build")
        }
    }
}
