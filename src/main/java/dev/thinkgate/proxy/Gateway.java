package dev.thinkgate.proxy;

import dev.thinkgate.audit.AuditSink;
import dev.thinkgate.audit.AuditSinks;
import dev.thinkgate.config.AdminApi;
import dev.thinkgate.config.ConfigStore;
import dev.thinkgate.config.ConfigWatcher;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.metrics.GatewayMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.function.Function;

/**
 * A running gateway: the OpenAI port, the admin port (metrics, health, admin API), the audit
 * sink, and the config watcher, wired together. {@link #start} and {@link #close} block, so call
 * them from a main thread, never an event loop.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger LOG = System.getLogger("thinkgate");

  private final Vertx vertx;
  private final GatewayServer server;
  private final AuditSink audit;
  private final ConfigWatcher watcher;
  private final HttpServer admin;
  private final int port;
  private final int adminPort;
  private final String host;
  private DrainReport drained;
  private boolean closed;

  private Gateway(Vertx vertx, GatewayServer server, AuditSink audit, ConfigWatcher watcher,
      HttpServer admin, String host, int port, int adminPort) {
    this.vertx = vertx;
    this.server = server;
    this.audit = audit;
    this.watcher = watcher;
    this.admin = admin;
    this.host = host;
    this.port = port;
    this.adminPort = adminPort;
  }

  /**
   * Starts a gateway over {@code store}'s configuration.
   *
   * @param defaultPolicy the anonymous tenant's policy when no tenant has keys
   * @param watch watch the config files and SIGHUP for reloads
   */
  public static Gateway start(Vertx vertx, ConfigStore store, GatewayMetrics metrics,
      Function<String, String> env, String defaultPolicy, boolean watch) {
    GatewayConfig config = store.current();
    AuditSink audit = config.audit().sinks().isEmpty()
        ? AuditSinks.discarding()
        : AuditSinks.create(config.audit(), metrics.registry(), Clock.systemUTC());
    GatewayServer server = new GatewayServer(vertx, config, metrics, env, defaultPolicy, audit,
        System::currentTimeMillis);
    store.addListener(server::apply);
    String host = config.server().host();
    int port = server.start(host, config.server().port()).await();
    HttpServer admin = null;
    int adminPort = -1;
    if (config.server().adminPort() > 0 && config.server().adminPort() != config.server().port()) {
      Router router = new AdminApi(store, config.server().adminKeyHash(), server::prefillDecisions)
          .router(vertx);
      router.get("/metrics").handler(rc -> rc.response()
          .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
          .end(metrics.scrape()));
      router.get("/health").handler(rc -> rc.response().putHeader("Content-Type",
          "application/json").end("{\"status\":\"ok\"}"));
      admin = vertx.createHttpServer().requestHandler(router);
      adminPort = admin.listen(config.server().adminPort(), host).await().actualPort();
    }
    ConfigWatcher watcher = null;
    if (watch && config.server().watchConfig()) {
      watcher = ConfigWatcher.forStore(store);
      try {
        watcher.start();
        watcher.installSignalHandler();
      } catch (IOException e) {
        LOG.log(Level.WARNING, "config watching disabled: " + e.getMessage());
      }
    }
    return new Gateway(vertx, server, audit, watcher, admin, host, port, adminPort);
  }

  public int port() {
    return port;
  }

  /** The admin port, or -1 when there is none. */
  public int adminPort() {
    return adminPort;
  }

  /** {@code http://host:port} as a client on this machine reaches it. */
  public String baseUrl() {
    String h = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    return "http://" + h + ":" + port;
  }

  public GatewayMetrics metrics() {
    return server.metrics();
  }

  /**
   * Graceful shutdown, what SIGTERM runs: readiness turns 503 and new requests are refused at
   * once, open requests finish (those still open at {@code server.drain_timeout_ms} end with a
   * {@code shutting_down} error), then the ports close and the audit sinks are flushed and
   * closed. Blocks; idempotent (later calls return the first drain's report).
   */
  public synchronized DrainReport shutdown() {
    if (drained == null) {
      drained = server.drain().await();
      close();
      LOG.log(Level.INFO, "shutdown: ports closed, audit sinks flushed and closed");
    }
    return drained;
  }

  /** Closes at once: open requests are cut off (see {@link #shutdown} for the graceful way). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (watcher != null) {
      watcher.close();
    }
    if (admin != null) {
      admin.close().await();
    }
    server.close().await();
    audit.close();
  }
}
