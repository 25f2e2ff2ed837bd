import CCurl
import Foundation
import Locking

/// libcurl's process-wide initialisation, done once before the first handle is created.
/// libcurl: "you must not call it when any other thread in the program is running" — so it
/// runs from a `static let`, which Swift initialises exactly once under a lock.
enum CurlRuntime {
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}

/// A `CURLM*` that other threads may only wake.
///
/// `@unchecked Sendable` is sound here because the pointer is used from other threads for
/// exactly one call, `curl_multi_wakeup` — libcurl: "This function can be called from any
/// thread" — and only while `TransferLoop.state`'s lock is held and `running` is true; the loop
/// thread sets `running = false` under that lock before it calls `curl_multi_cleanup`.
private final class MultiHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init?() {
        guard CurlRuntime.initialized, let pointer = curl_multi_init() else { return nil }
        self.pointer = pointer
    }
    func wakeup() { _ = curl_multi_wakeup(pointer) }
}

/// Runs many transfers at once on one thread with libcurl's multi interface: no thread per
/// feed, and the thread exists only while there is work (it ends after a short idle spell,
/// so a client that is dropped leaves nothing behind).
final class TransferLoop: Sendable {
    private struct Pending: Sendable {
        var request: ExchangeRequest
        var cancel: CancelFlag
        var continuation: CheckedContinuation<ExchangeResult, any Error>
    }

    private struct State: Sendable {
        var pending: [Pending] = []
        var multi: MultiHandle?
        var running = false
    }

    private let state = Locked(State())
    /// Transfers allowed in flight at once; the rest wait in `pending`.
    private let maxConcurrent: Int
    private let maxPerHost: Int

    init(maxConcurrent: Int, maxPerHost: Int) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxPerHost = max(1, maxPerHost)
    }

    /// Performs one exchange, suspending the caller until libcurl is done with it.
    func perform(_ request: ExchangeRequest) async throws -> ExchangeResult {
        let cancel = CancelFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                submit(Pending(request: request, cancel: cancel, continuation: continuation))
            }
        } onCancel: {
            cancel.set()
            state.withLock { state in if state.running { state.multi?.wakeup() } }
        }
    }

    private func submit(_ pending: Pending) {
        let startThread = state.withLock { state -> Bool in
            state.pending.append(pending)
            if state.running {
                state.multi?.wakeup()
                return false
            }
            state.running = true
            return true
        }
        if startThread {
            let thread = Thread { [self] in runLoop() }
            thread.name = "drillwatch-curl"
            thread.start()
        }
    }

    // MARK: - The loop thread

    private func runLoop() {
        guard let multi = MultiHandle() else {
            let orphans = state.withLock { state -> [Pending] in
                state.running = false
                defer { state.pending.removeAll() }
                return state.pending
            }
            for orphan in orphans {
                orphan.continuation.resume(throwing: FetchError.transfer(
                    url: orphan.request.url, code: -1, detail: "libcurl could not be initialised"))
            }
            return
        }
        _ = dw_curl_multi_setopt_long(multi.pointer, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConcurrent)
        _ = dw_curl_multi_setopt_long(multi.pointer, CURLMOPT_MAX_HOST_CONNECTIONS, maxPerHost)
        state.withLock { $0.multi = multi }

        var active: [UnsafeMutableRawPointer: Transfer] = [:]
        var idleSince: ContinuousClock.Instant?
        let idleGrace = Duration.seconds(2)

        while true {
            // Take new work, or end the thread after an idle spell.
            let room = maxConcurrent - active.count
            let (taken, stop) = state.withLock { state -> ([Pending], Bool) in
                if state.pending.isEmpty, active.isEmpty, let since = idleSince,
                   ContinuousClock.now - since >= idleGrace {
                    state.running = false
                    state.multi = nil
                    return ([], true)
                }
                let count = min(room, state.pending.count)
                let taken = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return (taken, false)
            }
            if stop { break }

            for pending in taken {
                start(pending, in: multi.pointer, active: &active)
            }

            var running: Int32 = 0
            _ = curl_multi_perform(multi.pointer, &running)
            collectFinished(multi.pointer, active: &active)

            if active.isEmpty {
                if idleSince == nil { idleSince = .now }
            } else {
                idleSince = nil
            }
            // Slots freed and requests waiting: start them now rather than after a poll.
            if active.count < maxConcurrent && state.withLock({ !$0.pending.isEmpty }) { continue }
            var ready: Int32 = 0
            _ = curl_multi_poll(multi.pointer, nil, 0, active.isEmpty ? 500 : 1000, &ready)
        }
        curl_multi_cleanup(multi.pointer)
    }

    private func start(_ pending: Pending, in multi: UnsafeMutableRawPointer, active: inout [UnsafeMutableRawPointer: Transfer]) {
        if pending.cancel.isSet {
            pending.continuation.resume(throwing: FetchError.cancelled(url: pending.request.url))
            return
        }
        do {
            let transfer = try Transfer(
                request: pending.request, cancel: pending.cancel, continuation: pending.continuation)
            let code = curl_multi_add_handle(multi, transfer.handle)
            guard code == CURLM_OK else {
                transfer.fail(.transfer(url: pending.request.url, code: Int(code.rawValue),
                                        detail: String(cString: curl_multi_strerror(code))))
                return
            }
            active[transfer.handle] = transfer
        } catch {
            pending.continuation.resume(throwing: error)
        }
    }

    private func collectFinished(_ multi: UnsafeMutableRawPointer, active: inout [UnsafeMutableRawPointer: Transfer]) {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = active.removeValue(forKey: easy)
            else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            transfer.complete(code)
        }
    }
}
