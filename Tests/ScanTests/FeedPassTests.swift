import Curl
import Feeds
import Foundation
import Model
@testable import Pipeline
import Settings
import Store
import Testing

/// The scan's steps for one feed, without a network: what a fetch result does to the feed's
/// state, and which verdicts become alerts.
@Suite struct FeedPassSteps {
    static let feed = FeedSettings(name: "wire", url: "https://news.example/wire.xml")
    static let time = Date(timeIntervalSince1970: 1_900_000_000)

    static func known() -> FeedState {
        var state = FeedState(name: "wire", url: feed.url)
        state.lastSuccess = time.addingTimeInterval(-3600)
        state.etag = "\"old\""
        state.errorCount = 2
        state.itemsSeen = 10
        return state
    }

    @Test func notModifiedIsHealthAndNoDocument() {
        var pass = FeedPass.record(.success(HTTPResponse(status: 304, finalURL: Self.feed.url)), feed: Self.feed, previous: Self.known(), at: Self.time)
        #expect(pass.outcome.status == .notModified)
        #expect(pass.response == nil)
        #expect(pass.state.errorCount == 0 && pass.state.lastSuccess == Self.time && pass.state.lastStatus == 304)
        #expect(pass.outcome.recovered && pass.outcome.httpStatus == 304)
        pass.finish()
        #expect(pass.state.itemsSeen == 10)
        #expect(pass.state.nextDue.map { $0 > Self.time } == true)
    }

    @Test func aServerErrorCountsAFailureAndKeepsItsRetryAfter() {
        let retry = Self.time.addingTimeInterval(7200)
        var pass = FeedPass.record(.success(HTTPResponse(status: 503, finalURL: Self.feed.url, retryAfter: retry)),
                                   feed: Self.feed, previous: Self.known(), at: Self.time)
        guard case .failed(let message) = pass.outcome.status else { Issue.record("not failed"); return }
        #expect(message.contains("503"))
        #expect(pass.state.errorCount == 3 && pass.state.lastStatus == 503 && pass.state.lastSuccess != Self.time)
        pass.finish()
        #expect(pass.state.nextDue.map { $0 >= retry } == true)
    }

    @Test func aCancelledFetchRecordsNothing() {
        let pass = FeedPass.record(.failure(.cancelled(url: Self.feed.url)), feed: Self.feed, previous: Self.known(), at: Self.time)
        #expect(pass.cancelled)
    }

    @Test func aPermanentMoveCountsUntilItIsBelieved() {
        let moved = "https://news.example/new.xml"
        let response = HTTPResponse(status: 200, finalURL: moved, permanentRedirect: moved)
        let first = FeedPass.record(.success(response), feed: Self.feed, previous: Self.known(), at: Self.time)
        #expect(first.state.movedTo == moved && first.state.movedCount == 1)
        let second = FeedPass.record(.success(response), feed: Self.feed, previous: first.state, at: Self.time)
        #expect(second.state.movedCount == 2)
        #expect(FeedScanner.fetchURL(Self.feed, second.state) == moved)
    }

    @Test func oldItemsOfAFirstFetchAreRecordedButRaiseNoAlert() {
        var pass = FeedPass.record(.success(HTTPResponse(status: 200, finalURL: Self.feed.url)), feed: Self.feed,
                                   previous: FeedState(name: "wire", url: Self.feed.url), at: Self.time)
        let horizon = Self.time.addingTimeInterval(-2 * 86400)
        let old = Item(id: "old", title: "Joint drill", text: "", published: Self.time.addingTimeInterval(-30 * 86400))
        let new = Item(id: "new", title: "Joint drill", text: "", published: Self.time.addingTimeInterval(-3600))
        pass.judged(old, Verdict(kind: .alert, score: 0.9), firstRunHorizon: horizon, retentionHorizon: nil)
        pass.judged(new, Verdict(kind: .alert, score: 0.9), firstRunHorizon: horizon, retentionHorizon: nil)
        pass.judged(Item(id: "copy", title: "Joint drill", text: ""), Verdict(kind: .duplicate, score: 0.9),
                    firstRunHorizon: horizon, retentionHorizon: nil)
        #expect(pass.judgements.map(\.itemKey) == ["old", "new", "copy"])
        #expect(pass.alerts.map(\.itemKey) == ["new"])
        #expect(pass.outcome.newItems == 3 && pass.outcome.alerts == 1 && pass.outcome.duplicates == 1)
    }
}
