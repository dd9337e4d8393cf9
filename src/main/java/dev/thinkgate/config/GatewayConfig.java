package dev.thinkgate.config;

import dev.thinkgate.policy.Policy;
import java.util.List;
import java.util.Map;

/**
 * The whole validated configuration: {@code conf/thinkgate.yaml} plus the policies it refers to.
 * Immutable; a reload builds a new instance and swaps it in atomically.
 */
public record GatewayConfig(
    ServerConfig server,
    List<RouteConfig> routes,
    Map<String, GuardConfig> guards,
    List<TenantConfig> tenants,
    AuditConfig audit,
    Map<String, Policy> policies,
    StateConfig state) {

  /** A configuration whose shared state stays in this process ({@code state.backend: local}). */
  public GatewayConfig(ServerConfig server, List<RouteConfig> routes,
      Map<String, GuardConfig> guards, List<TenantConfig> tenants, AuditConfig audit,
      Map<String, Policy> policies) {
    this(server, routes, guards, tenants, audit, policies, StateConfig.LOCAL);
  }

  public GatewayConfig {
    state = state == null ? StateConfig.LOCAL : state;
    server = server == null ? ServerConfig.DEFAULT : server;
    routes = routes == null ? List.of() : List.copyOf(routes);
    guards = guards == null ? Map.of() : Map.copyOf(guards);
    tenants = tenants == null ? List.of() : List.copyOf(tenants);
    audit = audit == null ? AuditConfig.NONE : audit;
    policies = policies == null ? Map.of() : Map.copyOf(policies);
  }

  /** Auth is on when at least one tenant declares keys. */
  public boolean authEnabled() {
    return tenants.stream().anyMatch(t -> !t.keyHashes().isEmpty());
  }

  /**
   * @param adminKeyHash {@code sha256:<hex>} of the admin API key; null disables the admin API
   * @param maxBodyBytes largest accepted request body (413 above)
   * @param drainTimeoutMs on SIGTERM, how long open requests may run before they are ended with
   *     an error (0 = end them at once)
   */
  public record ServerConfig(
      String host, int port, int adminPort, String adminKeyHash, long maxBodyBytes,
      long requestTimeoutMs, boolean watchConfig, long drainTimeoutMs) {
    public static final long DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
    public static final ServerConfig DEFAULT = new ServerConfig("0.0.0.0", 8080, 9090, null,
        4L * 1024 * 1024, 600_000, true, DEFAULT_DRAIN_TIMEOUT_MS);

    public ServerConfig {
      host = host == null ? "0.0.0.0" : host;
      if (drainTimeoutMs < 0) {
        throw new IllegalArgumentException("drainTimeoutMs must be >= 0, was " + drainTimeoutMs);
      }
    }

    /** With the default drain timeout. */
    public ServerConfig(String host, int port, int adminPort, String adminKeyHash,
        long maxBodyBytes, long requestTimeoutMs, boolean watchConfig) {
      this(host, port, adminPort, adminKeyHash, maxBodyBytes, requestTimeoutMs, watchConfig,
          DEFAULT_DRAIN_TIMEOUT_MS);
    }
  }

  /**
   * @param model the model name clients send; {@code *} or a glob like {@code deepseek-*}
   * @param upstreamModel the name sent upstream; null = the client's
   * @param apiKeyEnv environment variable holding the upstream's API key; null = none
   * @param chatTemplate the server's chat template ({@code deepseek-r1}, {@code qwen3} or
   *     {@code qwq}), or null = unknown: {@code auto} detects it, {@code completions} uses
   *     {@code deepseek-r1}
   * @param enableThinkingKwarg ZeroThink via {@code chat_template_kwargs.enable_thinking=false}
   * @param implicitThinkOpen the upstream has no reasoning parser and its template opens the
   *     thought, so un-tagged text before {@code </think>} is thinking (DESIGN §4)
   */
  public record RouteConfig(
      String model, String upstream, UpstreamDialect dialect, String upstreamModel,
      String apiKeyEnv, String chatTemplate, boolean enableThinkingKwarg, boolean implicitThinkOpen,
      Timeouts timeouts, String healthPath) {
    public RouteConfig {
      dialect = dialect == null ? UpstreamDialect.AUTO : dialect;
      timeouts = timeouts == null ? Timeouts.DEFAULT : timeouts;
      healthPath = healthPath == null ? "/health" : healthPath;
    }

    /** True when this route serves the client's model name (exact, {@code *}, or glob). */
    public boolean matches(String clientModel) {
      if (model.equals("*") || model.equals(clientModel)) {
        return true;
      }
      if (model.contains("*")) {
        String regex = java.util.regex.Pattern.quote(model).replace("*", "\\E.*\\Q");
        return clientModel.matches(regex);
      }
      return false;
    }
  }

  /**
   * How prefills reach the model. {@code AUTO}: probe the server ({@code /tokenize}) at startup
   * and on reload and use the chat path only where every prefill survives the template, else the
   * completions path with the server's generation prompt (see {@code reasoning.PrefillProbe}).
   */
  public enum UpstreamDialect { VLLM, SGLANG, COMPLETIONS, AUTO }

  /**
   * @param poolAcquireMs longest a call waits for a free pooled connection when every one the
   *     gateway may open to the upstream is busy
   */
  public record Timeouts(long connectMs, long firstByteMs, long idleMs, long totalMs,
      long poolAcquireMs, long maxConnectionAgeMs) {
    public static final long DEFAULT_POOL_ACQUIRE_MS = 30_000;
    /**
     * A pooled upstream connection is reused for 5 minutes after it opened, then replaced: behind
     * a Kubernetes Service, new connections reach replicas added since, at one reconnect per
     * connection every 5 minutes.
     */
    public static final long DEFAULT_MAX_CONNECTION_AGE_MS = 300_000;
    public static final Timeouts DEFAULT = new Timeouts(5_000, 120_000, 60_000, 900_000,
        DEFAULT_POOL_ACQUIRE_MS, DEFAULT_MAX_CONNECTION_AGE_MS);

    public Timeouts(long connectMs, long firstByteMs, long idleMs, long totalMs) {
      this(connectMs, firstByteMs, idleMs, totalMs, DEFAULT_POOL_ACQUIRE_MS,
          DEFAULT_MAX_CONNECTION_AGE_MS);
    }
  }

  /**
   * @param api {@code completions} (raw prompt built by ThinkGate, categories selectable) or
   *     {@code chat} (the server's template applies its default categories)
   */
  public record GuardConfig(
      String name, String url, GuardFormat format, String model, GuardApi api, String apiKeyEnv,
      long timeoutMs, int maxInFlight, int maxQueue, int breakerFailures, long breakerOpenMs,
      long cacheMaxEntries, long cacheTtlMs, boolean sharedCache) {
    /** A guard whose verdict cache is this process's alone. */
    public GuardConfig(String name, String url, GuardFormat format, String model, GuardApi api,
        String apiKeyEnv, long timeoutMs, int maxInFlight, int maxQueue, int breakerFailures,
        long breakerOpenMs, long cacheMaxEntries, long cacheTtlMs) {
      this(name, url, format, model, api, apiKeyEnv, timeoutMs, maxInFlight, maxQueue,
          breakerFailures, breakerOpenMs, cacheMaxEntries, cacheTtlMs, false);
    }

    public GuardConfig {
      format = format == null ? GuardFormat.LLAMA_GUARD_3 : format;
      api = api == null ? GuardApi.COMPLETIONS : api;
      model = model == null ? format.defaultModel() : model;
    }

    /** This guard served at another {@code url}. */
    public GuardConfig withUrl(String url) {
      return new GuardConfig(name, url, format, model, api, apiKeyEnv, timeoutMs, maxInFlight,
          maxQueue, breakerFailures, breakerOpenMs, cacheMaxEntries, cacheTtlMs, sharedCache);
    }

    /** This guard called through another {@code api}. */
    public GuardConfig withApi(GuardApi api) {
      return new GuardConfig(name, url, format, model, api, apiKeyEnv, timeoutMs, maxInFlight,
          maxQueue, breakerFailures, breakerOpenMs, cacheMaxEntries, cacheTtlMs, sharedCache);
    }

    public static GuardConfig quickStart(String url, GuardFormat format, String model) {
      return new GuardConfig("default", url, format, model, GuardApi.COMPLETIONS, null,
          5_000, 32, 256, 5, 10_000, 100_000, 3_600_000);
    }
  }

  public enum GuardFormat {
    LLAMA_GUARD_3("llama-guard-3", "meta-llama/Llama-Guard-3-8B"),
    LLAMA_GUARD_4("llama-guard-4", "meta-llama/Llama-Guard-4-12B"),
    QWEN3GUARD("qwen3guard", "Qwen/Qwen3Guard-Gen-8B");

    private final String wire;
    private final String defaultModel;

    GuardFormat(String wire, String defaultModel) {
      this.wire = wire;
      this.defaultModel = defaultModel;
    }

    public String wire() {
      return wire;
    }

    public String defaultModel() {
      return defaultModel;
    }

    public static GuardFormat fromWire(String s) {
      for (GuardFormat f : values()) {
        if (f.wire.equals(s)) {
          return f;
        }
      }
      return null;
    }
  }

  public enum GuardApi { COMPLETIONS, CHAT }

  /**
   * @param keyHashes {@code sha256:<hex>} of each API key of this tenant
   * @param models allowed client model names or globs; {@code *} = all routed models
   * @param requestsPerMinute 0 = unlimited
   * @param maxConcurrentStreams 0 = unlimited
   * @param onStateError what admission does when the shared state fails; null = the
   *     gateway's {@code state.on_state_error}
   */
  public record TenantConfig(
      String name, List<String> keyHashes, String policy, List<String> models,
      int requestsPerMinute, int maxConcurrentStreams, StateFailure onStateError) {
    public TenantConfig(String name, List<String> keyHashes, String policy, List<String> models,
        int requestsPerMinute, int maxConcurrentStreams) {
      this(name, keyHashes, policy, models, requestsPerMinute, maxConcurrentStreams, null);
    }

    public TenantConfig {
      keyHashes = keyHashes == null ? List.of() : List.copyOf(keyHashes);
      models = models == null ? List.of("*") : List.copyOf(models);
      policy = policy == null ? "passthrough" : policy;
    }
  }

  public record AuditConfig(List<AuditSinkConfig> sinks, int maxSafeAtKConcurrency) {
    public static final AuditConfig NONE = new AuditConfig(List.of(), 8);

    public AuditConfig {
      sinks = sinks == null ? List.of() : List.copyOf(sinks);
    }
  }

  /**
   * @param type {@code file} or {@code kafka}
   * @param rotateBytes rotate the current file past this size
   * @param queueSize bounded queue between request path and writer; full = drop and count
   * @param kafka the Kafka settings of a {@code kafka} sink; null for a file sink
   */
  public record AuditSinkConfig(
      String type, String dir, long rotateBytes, boolean rotateDaily, boolean gzipRotated,
      int queueSize, long flushIntervalMs, KafkaSinkConfig kafka) {
    public AuditSinkConfig(
        String type, String dir, long rotateBytes, boolean rotateDaily, boolean gzipRotated,
        int queueSize, long flushIntervalMs) {
      this(type, dir, rotateBytes, rotateDaily, gzipRotated, queueSize, flushIntervalMs, null);
    }

    public static AuditSinkConfig file(String dir) {
      return new AuditSinkConfig("file", dir, 256L * 1024 * 1024, true, true, 10_000, 200);
    }

    public static AuditSinkConfig kafka(KafkaSinkConfig kafka, int queueSize) {
      return new AuditSinkConfig("kafka", null, 0, false, false, queueSize, 0, kafka);
    }
  }

  /**
   * An audit sink on a Kafka topic (issue 14).
   *
   * @param bootstrapServers {@code host:port[,host:port...]}
   * @param compression the producer's {@code compression.type}: none, gzip, snappy, lz4, zstd
   * @param closeTimeoutMs how long {@code close} waits for queued records to be acknowledged
   * @param producerProperties extra producer properties, applied over the sink's defaults
   */
  public record KafkaSinkConfig(
      String bootstrapServers, String topic, String compression, long closeTimeoutMs,
      Map<String, String> producerProperties) {
    public static final String DEFAULT_COMPRESSION = "zstd";
    public static final long DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
    public static final List<String> COMPRESSIONS = List.of("none", "gzip", "snappy", "lz4", "zstd");

    public KafkaSinkConfig {
      compression = compression == null ? DEFAULT_COMPRESSION : compression;
      producerProperties = producerProperties == null
          ? Map.of() : Map.copyOf(producerProperties);
    }

    public static KafkaSinkConfig of(String bootstrapServers, String topic) {
      return new KafkaSinkConfig(bootstrapServers, topic, DEFAULT_COMPRESSION,
          DEFAULT_CLOSE_TIMEOUT_MS, Map.of());
    }
  }

  /**
   * Where state shared by replicas lives: {@code local} (this process; the default) or
   * {@code redis} (tenant limits across replicas, and the L2 verdict cache of guards with
   * {@code shared_cache: true}).
   *
   * @param onStateError what admission does when Redis fails or is slow, unless the tenant says
   * @param redis connection and key settings; null when the backend is local
   */
  public record StateConfig(StateBackend backend, StateFailure onStateError, RedisConfig redis) {
    public static final StateConfig LOCAL =
        new StateConfig(StateBackend.LOCAL, StateFailure.FAIL_OPEN, null);

    public StateConfig {
      backend = backend == null ? StateBackend.LOCAL : backend;
      onStateError = onStateError == null ? StateFailure.FAIL_OPEN : onStateError;
    }

    public boolean shared() {
      return backend == StateBackend.REDIS;
    }
  }

  public enum StateBackend { LOCAL, REDIS }

  /** {@code fail_open}: admit under this replica's own limits; {@code fail_closed}: answer 429. */
  public enum StateFailure { FAIL_OPEN, FAIL_CLOSED }

  /**
   * @param url {@code redis://[user:password@]host:port[/db]} or {@code rediss://...}
   * @param connectTimeoutMs bound on opening a connection
   * @param commandTimeoutMs bound on one command; a slower answer counts as a state error
   * @param leaseTtlMs how long a stream's lease outlives a replica that stopped refreshing it
   * @param keyPrefix prefix of every key ThinkGate writes
   * @param maxPoolSize connections per replica
   */
  public record RedisConfig(String url, long connectTimeoutMs, long commandTimeoutMs,
      long leaseTtlMs, String keyPrefix, int maxPoolSize) {
    public static final RedisConfig DEFAULT =
        new RedisConfig("redis://127.0.0.1:6379", 1_000, 250, 30_000, "thinkgate:", 16);
  }
}
