package dev.thinkgate.proxy;

import dev.thinkgate.audit.AuditSink;
import dev.thinkgate.audit.AuditSinks;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.GuardFormat;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.ServerConfig;
import dev.thinkgate.config.GatewayConfig.TenantConfig;
import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.config.LoadResult;
import dev.thinkgate.emulator.EmulatedGuardServer;
import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.metrics.GatewayMetrics;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts the emulated model (and guard), then a real gateway on a free port in front of them,
 * with the repository's policies. Each test builds what it needs; {@link #close()} stops all.
 */
final class GatewayHarness implements AutoCloseable {
  static final String MODEL = ModelEmulatorOptions.DEFAULT_MODEL;

  /** A policy file: both spans optimistic, cut on an unsafe verdict; a guard error fails open. */
  static final String OPTIMISTIC_BLOCKING = """
      screening:
        thinking: {release: optimistic, action: block}
        answer: {release: optimistic, action: block}
        checkpoint_tokens: 64
        on_guard_error: fail_open
      """;

  final Vertx vertx = Vertx.vertx();
  final GatewayMetrics metrics = new GatewayMetrics();
  EmulatedModelServer model;
  EmulatedGuardServer guard;
  /** Guards beyond {@code default}, by name, once started. */
  final Map<String, EmulatedGuardServer> extraGuards = new HashMap<>();
  GatewayServer gateway;
  /** The configuration the gateway started with. */
  GatewayConfig config;
  TestClient client;
  int modelPort;
  int guardPort;
  int gatewayPort;

  private ModelEmulatorOptions modelOptions = ModelEmulatorOptions.defaults();
  private GuardEmulatorOptions guardOptions;
  private final Map<String, GuardEmulatorOptions> extraGuardOptions = new HashMap<>();
  private long guardTimeoutMs = 2_000;
  private final List<TenantConfig> tenants = new ArrayList<>();
  private final Map<String, String> env = new HashMap<>();
  private Timeouts timeouts = Timeouts.DEFAULT;
  private long maxBody = ServerConfig.DEFAULT.maxBodyBytes();
  private String defaultPolicy = "passthrough";
  private UpstreamDialect dialect = UpstreamDialect.VLLM;
  private boolean implicitThinkOpen;
  private String routeModel = "*";
  private AuditSink audit = AuditSinks.discarding();
  private Path policiesDir = Path.of("policies");
  private String upstreamUrl;
  private String chatTemplate = "deepseek-r1";
  private boolean enableThinkingKwarg;
  private GatewayConfig.StateConfig state = GatewayConfig.StateConfig.LOCAL;
  private boolean sharedGuardCache;
  private long guardCacheEntries = 10_000;
  private String guardUrl;

  GatewayHarness model(ModelEmulatorOptions options) {
    this.modelOptions = options;
    return this;
  }

  GatewayHarness guard(GuardEmulatorOptions options) {
    this.guardOptions = options;
    return this;
  }

  /** Another emulated guard, configured under {@code name} for policies that name it. */
  GatewayHarness guard(String name, GuardEmulatorOptions options) {
    this.extraGuardOptions.put(name, options);
    return this;
  }

  GatewayHarness guardTimeoutMs(long ms) {
    this.guardTimeoutMs = ms;
    return this;
  }

  GatewayHarness tenant(String name, String key, String policy, String... models) {
    tenants.add(new TenantConfig(name, List.of(dev.thinkgate.config.ApiKeyHash.of(key)), policy,
        models.length == 0 ? List.of("*") : List.of(models), 0, 0));
    return this;
  }

  GatewayHarness tenant(TenantConfig tenant) {
    tenants.add(tenant);
    return this;
  }

  GatewayHarness timeouts(Timeouts timeouts) {
    this.timeouts = timeouts;
    return this;
  }

  GatewayHarness maxBody(long bytes) {
    this.maxBody = bytes;
    return this;
  }

  GatewayHarness policy(String name) {
    this.defaultPolicy = name;
    return this;
  }

  GatewayHarness dialect(UpstreamDialect dialect) {
    this.dialect = dialect;
    return this;
  }

  /** The route's chat_template; null = unknown (dialect auto detects it). */
  GatewayHarness chatTemplate(String name) {
    this.chatTemplate = name;
    return this;
  }

  GatewayHarness enableThinkingKwarg() {
    this.enableThinkingKwarg = true;
    return this;
  }

  GatewayHarness implicitThinkOpen() {
    this.implicitThinkOpen = true;
    return this;
  }

  GatewayHarness routeModel(String pattern) {
    this.routeModel = pattern;
    return this;
  }

  GatewayHarness audit(AuditSink sink) {
    this.audit = sink;
    return this;
  }

  /** Routes to this upstream instead of the emulated model (which still runs). */
  GatewayHarness upstream(String url) {
    this.upstreamUrl = url;
    return this;
  }

  GatewayHarness policies(Path dir) {
    this.policiesDir = dir;
    return this;
  }

  /** The {@code state:} section (e.g. a Redis several harnesses share). */
  GatewayHarness state(GatewayConfig.StateConfig state) {
    this.state = state;
    return this;
  }

  /** Guards get {@code shared_cache: true} (needs a redis state). */
  GatewayHarness sharedGuardCache() {
    this.sharedGuardCache = true;
    return this;
  }

  /** Guards get no verdict cache ({@code cache_max_entries: 0}). */
  GatewayHarness noGuardCache() {
    this.guardCacheEntries = 0;
    return this;
  }

  /** The {@code default} guard is the server at {@code url} (instead of an emulated one). */
  GatewayHarness guardUrl(String url) {
    this.guardUrl = url;
    return this;
  }

  GatewayHarness start() {
    model = new EmulatedModelServer(vertx, modelOptions);
    modelPort = model.start("127.0.0.1", 0).await();
    Map<String, GuardConfig> guards = new HashMap<>();
    if (guardOptions != null) {
      guard = new EmulatedGuardServer(vertx, guardOptions);
      guardPort = guard.start("127.0.0.1", 0).await();
      guards.put("default", guardConfig("default", "http://127.0.0.1:" + guardPort));
    }
    if (guardUrl != null) {
      guards.put("default", guardConfig("default", guardUrl));
    }
    for (Map.Entry<String, GuardEmulatorOptions> extra : extraGuardOptions.entrySet()) {
      EmulatedGuardServer server = new EmulatedGuardServer(vertx, extra.getValue());
      int port = server.start("127.0.0.1", 0).await();
      extraGuards.put(extra.getKey(), server);
      guards.put(extra.getKey(), guardConfig(extra.getKey(), "http://127.0.0.1:" + port));
    }
    String url = upstreamUrl != null ? upstreamUrl : "http://127.0.0.1:" + modelPort;
    RouteConfig route = new RouteConfig(routeModel, url, dialect,
        null, null, chatTemplate, enableThinkingKwarg, implicitThinkOpen, timeouts, "/health");
    ServerConfig server = new ServerConfig("127.0.0.1", 0, 0, null, maxBody, 60_000, false);
    GatewayConfig base = new GatewayConfig(server, List.of(route), guards, tenants,
        AuditConfig.NONE, Map.of(), state);
    LoadResult loaded = new ConfigLoader(env::get).withPolicies(base, policiesDir);
    if (!loaded.ok()) {
      throw new IllegalStateException("test config invalid: " + loaded.errors());
    }
    config = loaded.config();
    gateway = new GatewayServer(vertx, loaded.config(), metrics, env::get, defaultPolicy, audit,
        System::currentTimeMillis);
    gatewayPort = gateway.start("127.0.0.1", 0).await();
    client = new TestClient("http://127.0.0.1:" + gatewayPort);
    return this;
  }

  private GuardConfig guardConfig(String name, String url) {
    return new GuardConfig(name, url, GuardFormat.LLAMA_GUARD_3, null,
        GatewayConfig.GuardApi.COMPLETIONS, null, guardTimeoutMs, 64, 256, 5, 10_000,
        guardCacheEntries, 60_000, sharedGuardCache);
  }

  TestClient direct() {
    return new TestClient("http://127.0.0.1:" + modelPort);
  }

  @Override
  public void close() {
    if (gateway != null) {
      gateway.close().await();
    }
    vertx.close().await();
  }
}
