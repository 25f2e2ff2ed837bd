import Foundation

/// Where an alert is delivered once its files are written. Each (alert, channel) pair is one
/// row of the delivery outbox, retried until delivered or expired.
public enum DeliveryChannel: String, Sendable, Codable, CaseIterable {
    /// The hook command, with the alert JSON on standard input.
    case command
    /// The webhook, POSTed the alert JSON (or a chat's message).
    case webhook
    /// An e-mail to the configured recipients.
    case email
}

/// One delivery waiting to be made: the alert and where it goes.
public struct PendingDelivery: Sendable, Equatable {
    public var alert: Judgement
    public var channel: DeliveryChannel
    /// Attempts made so far.
    public var attempts: Int
    /// When the alert's files were written (the delivery expires counted from there).
    public var created: Date

    public init(alert: Judgement, channel: DeliveryChannel, attempts: Int, created: Date) {
        self.alert = alert
        self.channel = channel
        self.attempts = attempts
        self.created = created
    }
}

/// What became of one attempt.
public enum DeliveryResult: Sendable, Equatable {
    case delivered
    /// Failed; tried again at `retryAt`, or given up (`retryAt` nil) once expired.
    case failed(error: String, retryAt: Date?)
}

/// The delivery outbox at a glance, for `status` and the digest.
public struct DeliveryCounts: Sendable, Equatable {
    public var pending = 0
    /// Pending after at least one failed attempt.
    public var retrying = 0
    public var expired = 0
    public var lastError: String?

    public init() {}
}
