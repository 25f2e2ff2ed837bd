import Curl
import Foundation
import Model
import Reports
import Settings
import Store

extension HookSettings {
    /// The channels configured now; each written alert gets one delivery per channel.
    public var channels: [DeliveryChannel] {
        (command.isEmpty ? [] : [.command]) + (webhook == nil ? [] : [.webhook]) + (email == nil ? [] : [.email])
    }
}

/// What one delivery pass did.
public struct DeliveryReport: Sendable {
    public struct Failure: Sendable {
        public var alertID: String
        public var channel: DeliveryChannel
        public var error: String
        /// False once the delivery expired (or cannot succeed): it is given up.
        public var willRetry: Bool
    }

    public var delivered = 0
    public var failures: [Failure] = []
    /// Due deliveries left for the next pass because the budget ran out.
    public var deferred = 0
    /// The state database could not be read or written (the deliveries stay as they were).
    public var stateErrors: [String] = []
}

/// Delivers written alerts to the hook command and the webhook, from the delivery outbox.
///
/// Why an outbox: a delivery is a row, queued in the same transaction that marks the alert's
/// files written, and marked delivered only after the hook succeeded. A crash anywhere loses
/// none (it is still pending at the next start) and a delivery is never made twice by one
/// pass; a crash between a hook's success and its mark repeats that one delivery — hooks are
/// "at least once", like every outbox, and the alert id in the JSON lets a receiver tell.
///
/// Deliveries run apart from polling (the daemon's delivery service; after a `scan`), a few
/// at a time, each bounded by its own timeout, and a pass starts no new one once its budget
/// is spent. A failure is retried with back-off until `retry_hours` after the alert.
public struct DeliveryWorker: Sendable {
    public let settings: HookSettings
    let store: any StateStore
    let now: @Sendable () -> Date
    /// Deliveries running at once.
    let concurrency: Int

    public init(settings: HookSettings, store: any StateStore, concurrency: Int = 4, now: @escaping @Sendable () -> Date = { Date() }) {
        self.settings = settings
        self.store = store
        self.concurrency = max(1, concurrency)
        self.now = now
    }


    /// Makes the deliveries that are due, within `budget` (the configured one by default).
    public func deliverDue(budget: Duration? = nil) async -> DeliveryReport {
        let deadline = ContinuousClock.now + (budget ?? .milliseconds(Int64(settings.deliveryBudgetSeconds * 1000)))
        var report = DeliveryReport()
        let due: [PendingDelivery]
        do { due = try await store.dueDeliveries(at: now()) } catch {
            report.stateErrors.append(error.description)
            return report
        }
        var unattempted: [PendingDelivery] = []
        await withTaskGroup(of: (PendingDelivery, String?).self) { group in
            var next = due.makeIterator()
            var running = 0
            func startNext() -> Bool {
                guard ContinuousClock.now < deadline, let delivery = next.next() else { return false }
                group.addTask { (delivery, await attempt(delivery)) }
                return true
            }
            while running < concurrency, startNext() { running += 1 }
            for await (delivery, error) in group {
                running -= 1
                if error == Self.cancelled { unattempted.append(delivery) }
                await record(delivery, error: error, in: &report)
                if !Task.isCancelled, startNext() { running += 1 }
            }
            while let delivery = next.next() {
                report.deferred += 1
                unattempted.append(delivery)
            }
        }
        // Taken but not attempted: given back at once, not left claimed until the claim ends.
        do { try await store.release(unattempted) } catch { report.stateErrors.append(error.description) }
        return report
    }

    private func record(_ delivery: PendingDelivery, error: String?, in report: inout DeliveryReport) async {
        // Cancelled (shutting down): not an attempt; the delivery stays due for the next start.
        if error == Self.cancelled { return }
        let result: DeliveryResult
        if let error {
            let retryAt = retryTime(after: delivery.attempts + 1, created: delivery.created, error: error)
            result = .failed(error: error, retryAt: retryAt)
            report.failures.append(.init(alertID: delivery.alert.id, channel: delivery.channel, error: error, willRetry: retryAt != nil))
        } else {
            result = .delivered
            report.delivered += 1
        }
        do { try await store.record(result, for: delivery, at: now()) } catch {
            report.stateErrors.append(error.description)
        }
    }

    /// 30 s after the first failure, doubling up to an hour; nil once past `retry_hours` after
    /// the alert, or when the receiver said the request itself is wrong.
    func retryTime(after attempts: Int, created: Date, error: String) -> Date? {
        if error.hasPrefix(Self.permanent) { return nil }
        let delay = min(3600, 30 * pow(2, Double(min(attempts - 1, 20))))
        let next = now().addingTimeInterval(delay)
        return next > created.addingTimeInterval(settings.retryHours * 3600) ? nil : next
    }

    private static let cancelled = "cancelled"
    private static let permanent = "rejected: "

    /// One attempt; nil when delivered, else why not.
    private func attempt(_ delivery: PendingDelivery) async -> String? {
        let json = Array(AlertFiles.json(delivery.alert))
        switch delivery.channel {
        case .command: return await runCommand(json)
        case .webhook: return await post(delivery.alert, json: json)
        case .email: return await mail(delivery.alert)
        }
    }

    private func runCommand(_ json: [UInt8]) async -> String? {
        guard let program = settings.command.first else { return Self.permanent + "no hook command is configured any more" }
        let outcome = await ChildProcess.run(settings.command, input: json,
                                             timeout: .milliseconds(Int64(settings.commandTimeoutSeconds * 1000)))
        let said = outcome.stderr.isEmpty ? "" : ": " + String(outcome.stderr.prefix(500))
        switch outcome.termination {
        case .exited(0): return nil
        case .exited(let status): return "hook \(program) exited with status \(status)\(said)"
        case .signalled(let signal): return "hook \(program) was killed by signal \(signal)\(said)"
        case .timedOut: return "hook \(program) ran longer than \(Int(settings.commandTimeoutSeconds)) s; its process group was stopped\(said)"
        case .cancelled: return Self.cancelled
        case .cannotStart(let reason): return "hook \(program) could not be started (\(reason))"
        }
    }

    /// The webhook's request for `alert` in the configured format.
    private func webhookRequest(_ url: String, _ alert: Judgement, json: [UInt8]) -> HTTPRequest {
        let contentType = HTTPHeader(name: "Content-Type", value: "application/json")
        switch settings.webhookFormat {
        case .json: return HTTPRequest(url: url, headers: [contentType], body: json)
        case .slack: return HTTPRequest(url: url, headers: [contentType], body: ChatMessage.slack(alert))
        case .telegram: return HTTPRequest(url: url, headers: [contentType], body: ChatMessage.telegram(alert, chat: settings.telegramChatID ?? ""))
        case .matrix:
            // The alert's id is the transaction id: Matrix answers a repeated PUT with the
            // event it already made, so a retry after a lost answer posts nothing twice.
            let target = url.hasSuffix("/") ? url + "drillwatch-" + alert.id : url + "/drillwatch-" + alert.id
            return HTTPRequest(url: target, headers: [contentType, HTTPHeader(name: "Authorization", value: "Bearer " + (settings.matrixToken ?? ""))],
                               body: ChatMessage.matrix(alert), put: true)
        }
    }

    private func mail(_ alert: Judgement) async -> String? {
        guard let email = settings.email else { return Self.permanent + "no [email] is configured any more" }
        let server = MailServer(url: email.url, username: email.username, password: email.password, startTLS: email.startTLS,
                                timeout: .milliseconds(Int64(email.timeoutSeconds * 1000)))
        let message = MailMessage.alert(alert, from: email.from, to: email.to, date: now())
        do {
            try await MailSender.send(message, from: email.from, to: email.to, via: server)
            return nil
        } catch {
            // A refused login will not get better by itself (CURLE_LOGIN_DENIED); anything else
            // (a server away, a temporary 4xx) is retried.
            let permanent = error.transferCode == 67
            return (permanent ? Self.permanent : "") + "e-mail: \(error.description)"
        }
    }

    private func post(_ alert: Judgement, json: [UInt8]) async -> String? {
        guard let url = settings.webhook else { return Self.permanent + "no webhook is configured any more" }
        let client = HTTPClient(policy: FetchPolicy(totalTimeout: .milliseconds(Int64(settings.webhookTimeoutSeconds * 1000))))
        let request = webhookRequest(url, alert, json: json)
        do {
            let response = try await client.fetch(request)
            if response.isSuccess { return nil }
            let status = response.status
            // The request itself is wrong (bad token, gone): retrying will not help.
            let isPermanent = (400..<500).contains(status) && status != 408 && status != 429
            return (isPermanent ? Self.permanent : "") + FetchError.httpStatus(url: url, status: status, retryAfterSeconds: nil).description
        } catch .cancelled {
            return Self.cancelled
        } catch {
            return "webhook: \(error.description)"
        }
    }
}
