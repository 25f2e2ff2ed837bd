import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster for the tests: made with `initdb` in a temporary folder,
/// listening on a Unix socket in that folder and on 127.0.0.1 at a free port, started once per
/// test process. It stops by itself: a watcher beside it ends the server (and removes the
/// folder) within a second of the test process ending, however that ends.
///
/// The superuser `drillwatch` connects without a password on the socket and with one
/// (`PostgresServer.password`, SCRAM) on TCP, so both ways of authenticating can be tested.
/// As root (CI), the cluster runs as the `postgres` user, since PostgreSQL refuses root.
public final class PostgresServer: Sendable {
    public static let user = "drillwatch"
    public static let password = "test-Secret-0"

    /// The cluster, or why there is none (PostgreSQL is not installed): tests that need it
    /// print the reason and return.
    public static let shared: Result<PostgresServer, Unavailable> = start()

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The folder holding the data and the socket.
    public let folder: String
    public let port: Int
    private let binaries: String
    private let runAs: String?

    private init(folder: String, port: Int, binaries: String, runAs: String?) {
        self.folder = folder
        self.port = port
        self.binaries = binaries
        self.runAs = runAs
    }

    /// The server, printing why it is skipped when it cannot run.
    public static func orSkip(_ test: String = #function) -> PostgresServer? {
        switch shared {
        case .success(let server): return server
        case .failure(let reason):
            print("skipped \(test): \(reason)")
            return nil
        }
    }

    /// A new, empty database; its URL over the socket (no password needed).
    public func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try run("\(binaries)/createdb", ["-h", folder, "-p", String(port), "-U", Self.user, name])
        return socketURL(database: name)
    }

    public func socketURL(database: String) -> String {
        "postgresql://\(Self.user)@/\(database)?host=\(folder)&port=\(port)"
    }

    /// The URL over TCP, where the password is required.
    public func tcpURL(database: String) -> String {
        "postgresql://\(Self.user)@127.0.0.1:\(port)/\(database)"
    }

    /// Runs SQL as the superuser (`psql`), for what a test does behind the store's back.
    @discardableResult
    public func sql(_ statement: String, database: String) throws -> String {
        try run("\(binaries)/psql", ["-h", folder, "-p", String(port), "-U", Self.user, "-d", database, "-tAc", statement])
    }

    /// The database name in a URL made by `createDatabase`.
    public static func database(in url: String) -> String {
        let afterHost = url.components(separatedBy: "@").last!.drop { $0 != "/" }.dropFirst()
        return String(afterHost.prefix { $0 != "?" })
    }

    @discardableResult
    private func run(_ program: String, _ arguments: [String]) throws -> String {
        try Self.run(program, arguments, as: nil)
    }

    // MARK: - Starting

    private static func start() -> Result<PostgresServer, Unavailable> {
        guard let binaries = findBinaries() else {
            return .failure(Unavailable(description: "PostgreSQL is not installed (initdb not found; apt-get install postgresql)"))
        }
        var runAs: String?
        if getuid() == 0 {
            guard getpwnam("postgres") != nil else {
                return .failure(Unavailable(description: "running as root and there is no postgres user to run PostgreSQL as"))
            }
            runAs = "postgres"
        }
        do {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("drillwatch-pg-\(getpid())-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let passwordFile = folder + "/password"
            try (password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
            if let runAs, let account = getpwnam(runAs) {
                chown(folder, account.pointee.pw_uid, account.pointee.pw_gid)
                chown(passwordFile, account.pointee.pw_uid, account.pointee.pw_gid)
            }
            chmod(folder, 0o700)
            let data = folder + "/data"
            try run("\(binaries)/initdb", ["-D", data, "-U", user, "--pwfile=\(passwordFile)", "-E", "UTF8", "--no-sync",
                                          "--auth-local=trust", "--auth-host=scram-sha-256"], as: runAs)
            let port = try freePort()
            // The watcher: starts the server, then waits for this process to end (or the
            // server to die), stops the server and removes the folder.
            let script = """
                "\(binaries)/postgres" -D "\(data)" -k "\(folder)" -h 127.0.0.1 -p \(port) \
                  -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200 \
                  >"\(folder)/server.log" 2>&1 &
                server=$!
                while [ -e /proc/\(getpid()) ] && kill -0 $server 2>/dev/null; do sleep 1; done
                kill -INT $server 2>/dev/null; wait $server; rm -rf "\(folder)"
                """
            try Subprocess.launchDetached(script, as: runAs)
            let server = PostgresServer(folder: folder, port: port, binaries: binaries, runAs: runAs)
            try server.waitUntilReady()
            return .success(server)
        } catch {
            return .failure(Unavailable(description: "the test PostgreSQL cluster could not start: \(error)"))
        }
    }

    private func waitUntilReady() throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? run("\(binaries)/pg_isready", ["-q", "-h", folder, "-p", String(port)])) != nil { return }
            usleep(100_000)
        }
        let log = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
        throw Unavailable(description: "PostgreSQL did not become ready in 30 s: \(log.suffix(500))")
    }

    private static func findBinaries() -> String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let folder = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: folder + "/initdb") { return folder }
        }
        return nil
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Unavailable(description: "no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a PostgreSQL program (as `user` when given) and returns what it printed; at most
    /// two minutes (initdb, the slowest, takes seconds).
    @discardableResult
    private static func run(_ program: String, _ arguments: [String], as user: String?) throws -> String {
        let (executable, all) = user.map { ("/usr/sbin/runuser", ["-u", $0, "--", program] + arguments) } ?? (program, arguments)
        let run = try Subprocess.run(URL(fileURLWithPath: executable), all, timeout: 120)
        guard run.status == 0 else {
            let why = run.timedOut ? "did not finish in 120 s" : "failed"
            throw Unavailable(description: "\((program as NSString).lastPathComponent) \(why): \((run.stdout + run.stderr).suffix(400))")
        }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
