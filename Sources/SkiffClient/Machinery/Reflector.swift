import Logging
import SkiffAPI

/// Keeps a DeltaFIFO in step with the server: list, then watch from the list's resourceVersion;
/// a watch that ends is resumed from the last resourceVersion seen; `410 Gone` (or a watch ERROR with
/// an expired resourceVersion) goes back to listing; other failures back off (client-go's `Reflector`).
struct Reflector<Object: InformerObject>: Sendable {
    /// Where the reflector is (kube-rs' watcher states, one step at a time).
    enum Phase: Equatable {
        case needsList
        case watching(resourceVersion: String)
    }

    let listWatch: ListWatch<Object>
    let fifo: DeltaFIFO<Object>
    let logger: Logger
    var initialBackoff: Duration = .milliseconds(800)
    var maximumBackoff: Duration = .seconds(30)

    /// Runs until cancelled.
    func run() async {
        var phase = Phase.needsList
        var backoff = initialBackoff
        while !Task.isCancelled {
            let (next, failed) = await step(phase)
            phase = next
            if failed {
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maximumBackoff)
            } else {
                backoff = initialBackoff
            }
        }
    }

    /// One phase: returns the next phase and whether it failed (so the caller backs off).
    @_specialize(where Object == JSONValue)
    func step(_ phase: Phase) async -> (Phase, Bool) {
        switch phase {
        case .needsList:
            do {
                var items: [Object] = []
                var token: String? = nil
                var resourceVersion = ""
                repeat {
                    let page = try await listWatch.list(token)
                    items.append(contentsOf: page.items)
                    resourceVersion = page.resourceVersion
                    token = page.continueToken
                } while token != nil
                fifo.replace(items)
                return (.watching(resourceVersion: resourceVersion), false)
            } catch {
                if !Task.isCancelled { logger.warning("list failed", metadata: ["error": "\(error)"]) }
                return (.needsList, true)
            }
        case .watching(var resourceVersion):
            do {
                for try await event in listWatch.watch(resourceVersion) {
                    switch event.type {
                    case "ERROR":
                        let error = APIError(status: event.object) ?? APIError.internalError("watch error")
                        throw error
                    case "BOOKMARK":
                        break
                    default:
                        let object = try event.decode(Object.self, transform: listWatch.transform)
                        switch event.type {
                        case "ADDED": fifo.add(object)
                        case "MODIFIED": fifo.update(object)
                        case "DELETED": fifo.delete(object)
                        default: break
                        }
                        let rv = object.objectResourceVersion
                        if !rv.isEmpty { resourceVersion = rv }
                        continue
                    }
                    if let rv = event.object["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty { resourceVersion = rv }
                }
                return (.watching(resourceVersion: resourceVersion), false)
            } catch let error as APIError where error.isExpired {
                logger.debug("watch expired; re-listing", metadata: ["resourceVersion": "\(resourceVersion)"])
                return (.needsList, false)
            } catch {
                if Task.isCancelled { return (.watching(resourceVersion: resourceVersion), false) }
                logger.debug("watch broke; resuming", metadata: ["error": "\(error)"])
                return (.watching(resourceVersion: resourceVersion), true)
            }
        }
    }
}
