import Curl
import Feeds
import Model
@testable import Pipeline
import Testing

/// What a scan lets wait to be judged while one feed holds up the judging is bounded by what
/// the waiting items hold, not by how many they are: a feed that carries whole articles holds
/// ten times the text of one of headlines.
@Suite struct ScanBacklog {
    static func fetched(_ items: [Item]) -> Fetched {
        let selection = Selection(items: items, rekeyed: [], readings: nil)
        let parsed = Fetched.Parsed(feed: FeedInfo(), entryCount: items.count, selection: .success(selection))
        return Fetched(result: .success(HTTPResponse(status: 200, finalURL: "https://news.example/feed.xml")),
                       parsed: .success(parsed), seconds: 0)
    }

    /// How many feeds like `fetched` may wait before no fetch starts.
    static func feedsUntilFull(_ fetched: Fetched) -> Int {
        var backlog = Backlog(inFlightLimit: 1)
        var count = 0
        while backlog.mayStart {
            backlog.started()
            backlog.arrived(bytes: fetched.heldBytes)
            count += 1
        }
        return count
    }

    @Test func aFeedOfWholeArticlesFillsTheBacklogSoonerThanOneOfHeadlines() {
        let headlines = Self.fetched((0..<100).map { Item(id: "h\($0)", title: "Joint patrol", text: "Ships sailed.") })
        let articles = Self.fetched((0..<100).map {
            Item(id: "a\($0)", title: "Joint patrol", text: String(repeating: "Ships sailed together. ", count: 2_000))
        })
        #expect(articles.heldBytes > 10 * headlines.heldBytes)
        #expect(Self.feedsUntilFull(headlines) > 5 * Self.feedsUntilFull(articles))
        // Nothing fetched, nothing held.
        #expect(Self.fetched([]).heldBytes == 0)
    }

    @Test func articlesReadWhileAFeedWaitsCountAndItsTurnGivesBackWhatItWasCountedFor() {
        var backlog = Backlog(inFlightLimit: 1)
        backlog.started()
        backlog.arrived(bytes: backlog.byteLimit - 1)
        #expect(backlog.mayStart)
        backlog.grew(by: 1)
        #expect(!backlog.mayStart)
        backlog.taken(bytes: backlog.byteLimit)
        #expect(backlog.mayStart && backlog.waitingBytes == 0 && backlog.waitingFeeds == 0)
    }
}
