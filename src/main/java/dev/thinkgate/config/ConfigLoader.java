package dev.thinkgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import dev.thinkgate.config.GatewayConfig.KafkaSinkConfig;
import dev.thinkgate.config.GatewayConfig.GuardApi;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.GuardFormat;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.ServerConfig;
import dev.thinkgate.config.GatewayConfig.StateConfig;
import dev.thinkgate.config.GatewayConfig.StateFailure;
import dev.thinkgate.config.GatewayConfig.TenantConfig;
import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.policy.Policy;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Loads {@code conf/thinkgate.yaml} and the policies directory into a {@link GatewayConfig},
 * collecting every error of every file, then checks references between them: each tenant's
 * policy exists, each screening policy names a configured guard, each tenant model pattern is
 * served by some route, and no key hash belongs to two tenants.
 */
public final class ConfigLoader {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final List<String> CHAT_TEMPLATES = List.of("deepseek-r1", "qwen3", "qwq");
  private static final List<String> SINK_TYPES = List.of("file", "kafka");
  private static final String NAME_RULE =
      "letters, digits, '.', '_' and '-', starting with a letter or digit";

  private final EnvSubstitution env;
  private final PolicyLoader policyLoader;
  private final YamlFiles yaml = new YamlFiles();

  /** @param env environment for {@code ${VAR}} substitution; returns null for unset variables */
  public ConfigLoader(Function<String, String> env) {
    Objects.requireNonNull(env, "env");
    this.env = new EnvSubstitution(env);
    this.policyLoader = new PolicyLoader(env);
  }

  public PolicyLoader policyLoader() {
    return policyLoader;
  }

  /**
   * @param configFile {@code conf/thinkgate.yaml}; null for the quick start (server defaults, no
   *     routes, guards or tenants — the caller adds them, then uses {@link #withPolicies})
   * @param policiesDir directory of {@code <name>.yaml} policies; null for built-ins only
   */
  public LoadResult load(Path configFile, Path policiesDir) {
    List<ConfigError> errors = new ArrayList<>();
    PolicyLoadResult policies = policyLoader.loadDirectory(policiesDir);
    GatewayConfig parsed;
    String display = configFile == null ? "(built-in defaults)" : configFile.toString();
    if (configFile == null) {
      parsed = new GatewayConfig(null, null, null, null, null, null);
    } else {
      JsonNode tree = yaml.read(configFile, display, errors);
      parsed = tree == null ? null : parse(tree, display, errors);
    }
    errors.addAll(policies.errors());
    if (parsed == null) {
      return LoadResult.invalid(errors);
    }
    GatewayConfig config = withPolicyMap(parsed, policies.policies());
    errors.addAll(crossCheck(config, display, policies, configFile != null));
    return errors.isEmpty() ? LoadResult.valid(config) : LoadResult.invalid(errors);
  }

  /**
   * Re-reads the policies of a configuration built in code (the quick start) and checks the
   * references again; {@code base}'s own policies are replaced by those of {@code policiesDir},
   * or kept (plus built-in passthrough) when it is null.
   */
  public LoadResult withPolicies(GatewayConfig base, Path policiesDir) {
    PolicyLoadResult policies;
    if (policiesDir == null) {
      Map<String, Policy> kept = new HashMap<>(base.policies());
      kept.putIfAbsent("passthrough", Policy.passthrough());
      policies = new PolicyLoadResult(kept, Map.of(), List.of());
    } else {
      policies = policyLoader.loadDirectory(policiesDir);
    }
    List<ConfigError> errors = new ArrayList<>(policies.errors());
    GatewayConfig config = withPolicyMap(base, policies.policies());
    errors.addAll(crossCheck(config, "(command line)", policies, true));
    return errors.isEmpty() ? LoadResult.valid(config) : LoadResult.invalid(errors);
  }

  private static GatewayConfig withPolicyMap(GatewayConfig c, Map<String, Policy> policies) {
    return new GatewayConfig(c.server(), c.routes(), c.guards(), c.tenants(), c.audit(), policies,
        c.state());
  }

  private GatewayConfig parse(JsonNode tree, String file, List<ConfigError> errors) {
    ConfigNode root = ConfigNode.root(tree, file, errors, env);
    ServerConfig server = server(root.object("server"));
    List<RouteConfig> routes = routes(root);
    Map<String, GuardConfig> guards = guards(root);
    List<TenantConfig> tenants = tenants(root);
    AuditConfig audit = audit(root.object("audit"));
    StateConfig state = StateSection.parse(root.object("state"));
    root.finish();
    checkKeyHashes(root, server, tenants);
    StateSection.checkSharedCaches(root, state, guards);
    return new GatewayConfig(server, routes, guards, tenants, audit, Map.of(), state);
  }

  /** One hour: a longer drain outlives any orchestrator's grace period. */
  static final long MAX_DRAIN_TIMEOUT_MS = 3_600_000;

  private static ServerConfig server(ConfigNode n) {
    ServerConfig d = ServerConfig.DEFAULT;
    if (n == null) {
      return d;
    }
    String host = n.string("host", d.host());
    int port = n.integer("port", d.port(), 0, 65535);
    int adminPort = n.integer("admin_port", d.adminPort(), 0, 65535);
    String adminKeyHash = keyHash(n, "admin_key_hash", n.string("admin_key_hash", null));
    long maxBodyBytes = n.longInteger("max_body_bytes", d.maxBodyBytes(), 1, Long.MAX_VALUE);
    long requestTimeoutMs =
        n.longInteger("request_timeout_ms", d.requestTimeoutMs(), 1, Long.MAX_VALUE);
    boolean watchConfig = n.bool("watch_config", d.watchConfig());
    long drainTimeoutMs =
        n.longInteger("drain_timeout_ms", d.drainTimeoutMs(), 0, MAX_DRAIN_TIMEOUT_MS);
    if (port != 0 && port == adminPort) {
      n.error("admin_port", adminPort + " is also server.port; allowed: a different port");
    }
    n.finish();
    return new ServerConfig(host, port, adminPort, adminKeyHash, maxBodyBytes, requestTimeoutMs,
        watchConfig, drainTimeoutMs);
  }

  private static List<RouteConfig> routes(ConfigNode root) {
    List<RouteConfig> routes = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (ConfigNode n : root.objectList("routes")) {
      String model = n.requiredString("model", "a model name, a glob such as deepseek-*, or *");
      String upstream = url(n, "upstream");
      UpstreamDialect dialect = n.enumValue("dialect", UpstreamDialect.class, UpstreamDialect.AUTO);
      String upstreamModel = n.string("upstream_model", null);
      String apiKeyEnv = envName(n, "api_key_env");
      String chatTemplate = n.string("chat_template", null);
      if (chatTemplate != null && !CHAT_TEMPLATES.contains(chatTemplate)) {
        n.error("chat_template", ConfigNode.quote(chatTemplate) + " is not one of "
            + String.join(", ", CHAT_TEMPLATES));
      }
      boolean enableThinkingKwarg = n.bool("enable_thinking_kwarg", false);
      if (enableThinkingKwarg && chatTemplate != null && !chatTemplate.equals("qwen3")) {
        // vLLM drops chat_template_kwargs the template does not read: the kwarg would do nothing
        n.error("enable_thinking_kwarg", "true, but chat_template '" + chatTemplate
            + "' has no enable_thinking variable; allowed: false, or chat_template qwen3");
      }
      boolean implicitThinkOpen = n.bool("implicit_think_open", false);
      Timeouts timeouts = timeouts(n.object("timeouts"));
      String healthPath = n.string("health_path", "/health");
      if (!healthPath.startsWith("/")) {
        n.error("health_path", ConfigNode.quote(healthPath)
            + " is not an absolute path; allowed: a path starting with /");
      }
      n.finish();
      if (model == null) {
        continue;
      }
      if (seen.contains("*")) {
        n.error("model", ConfigNode.quote(model) + " is never used because an earlier route is"
            + " '*', which serves every model; allowed: put '*' last");
      } else if (seen.contains(model)) {
        n.error("model", ConfigNode.quote(model) + " is already routed by an earlier route;"
            + " allowed: one route per model pattern");
      }
      seen.add(model);
      routes.add(new RouteConfig(model, upstream, dialect, upstreamModel, apiKeyEnv, chatTemplate,
          enableThinkingKwarg, implicitThinkOpen, timeouts, healthPath));
    }
    return routes;
  }

  private static Timeouts timeouts(ConfigNode n) {
    Timeouts d = Timeouts.DEFAULT;
    if (n == null) {
      return d;
    }
    long connect = n.longInteger("connect_ms", d.connectMs(), 1, Long.MAX_VALUE);
    long firstByte = n.longInteger("first_byte_ms", d.firstByteMs(), 1, Long.MAX_VALUE);
    long idle = n.longInteger("idle_ms", d.idleMs(), 1, Long.MAX_VALUE);
    long total = n.longInteger("total_ms", d.totalMs(), 1, Long.MAX_VALUE);
    long poolAcquire = n.longInteger("pool_acquire_ms", d.poolAcquireMs(), 1, Long.MAX_VALUE);
    long maxAge = n.longInteger("max_connection_age_ms", d.maxConnectionAgeMs(), 0, Long.MAX_VALUE);
    n.finish();
    return new Timeouts(connect, firstByte, idle, total, poolAcquire, maxAge);
  }

  private static Map<String, GuardConfig> guards(ConfigNode root) {
    Map<String, GuardConfig> guards = new HashMap<>();
    GuardConfig d = GuardConfig.quickStart(null, GuardFormat.LLAMA_GUARD_3, null);
    for (Map.Entry<String, ConfigNode> e : root.objectMap("guards").entrySet()) {
      String name = e.getKey();
      ConfigNode n = e.getValue();
      if (!NAME.matcher(name).matches()) {
        n.error("'" + name + "' is not a valid guard name; allowed: " + NAME_RULE);
      }
      String url = url(n, "url");
      GuardFormat format = n.enumValue("format", GuardFormat.class, GuardFormat.LLAMA_GUARD_3);
      String model = n.string("model", null);
      GuardApi api = n.enumValue("api", GuardApi.class, GuardApi.COMPLETIONS);
      String apiKeyEnv = envName(n, "api_key_env");
      long timeoutMs = n.longInteger("timeout_ms", d.timeoutMs(), 1, Long.MAX_VALUE);
      int maxInFlight = n.integer("max_in_flight", d.maxInFlight(), 1, 100_000);
      int maxQueue = n.integer("max_queue", d.maxQueue(), 0, 1_000_000);
      int breakerFailures = n.integer("breaker_failures", d.breakerFailures(), 1, 1_000_000);
      long breakerOpenMs = n.longInteger("breaker_open_ms", d.breakerOpenMs(), 1, Long.MAX_VALUE);
      long cacheMaxEntries =
          n.longInteger("cache_max_entries", d.cacheMaxEntries(), 0, Long.MAX_VALUE);
      long cacheTtlMs = n.longInteger("cache_ttl_ms", d.cacheTtlMs(), 1, Long.MAX_VALUE);
      boolean sharedCache = n.bool("shared_cache", false);
      n.finish();
      guards.put(name, new GuardConfig(name, url, format, model, api, apiKeyEnv, timeoutMs,
          maxInFlight, maxQueue, breakerFailures, breakerOpenMs, cacheMaxEntries, cacheTtlMs,
          sharedCache));
    }
    return guards;
  }

  private static List<TenantConfig> tenants(ConfigNode root) {
    List<TenantConfig> tenants = new ArrayList<>();
    for (Map.Entry<String, ConfigNode> e : root.objectMap("tenants").entrySet()) {
      String name = e.getKey();
      ConfigNode n = e.getValue();
      if (!NAME.matcher(name).matches()) {
        n.error("'" + name + "' is not a valid tenant name; allowed: " + NAME_RULE);
      }
      List<String> hashes = new ArrayList<>();
      List<String> rawHashes = n.stringList("key_hashes", List.of());
      for (int i = 0; i < rawHashes.size(); i++) {
        String checked = keyHash(n, "key_hashes[" + i + "]", rawHashes.get(i));
        hashes.add(checked == null ? rawHashes.get(i) : checked);
      }
      String policy = n.string("policy", "passthrough");
      List<String> models = n.stringList("models", List.of("*"));
      if (n.has("models") && models.isEmpty()) {
        n.error("models", "[] allows no model; allowed: a list of model names or globs, or [\"*\"]");
      }
      int rpm = n.integer("requests_per_minute", 0, 0, 1_000_000_000);
      int streams = n.integer("max_concurrent_streams", 0, 0, 1_000_000);
      StateFailure onStateError = n.enumValue("on_state_error", StateFailure.class, null);
      n.finish();
      tenants.add(new TenantConfig(name, hashes, policy, models, rpm, streams, onStateError));
    }
    return tenants;
  }

  private static AuditConfig audit(ConfigNode n) {
    if (n == null) {
      return AuditConfig.NONE;
    }
    int maxSafeAtK = n.integer(
        "max_safe_at_k_concurrency", AuditConfig.NONE.maxSafeAtKConcurrency(), 1, 10_000);
    List<AuditSinkConfig> sinks = new ArrayList<>();
    for (ConfigNode s : n.objectList("sinks")) {
      String type = s.string("type", "file");
      if (!SINK_TYPES.contains(type)) {
        s.error("type", ConfigNode.quote(type) + " is not one of " + String.join(", ", SINK_TYPES));
      }
      if ("kafka".equals(type)) {
        sinks.add(kafkaSink(s));
        continue;
      }
      String dir = s.requiredString("dir", "the directory audit files are written to");
      AuditSinkConfig d = AuditSinkConfig.file(dir);
      long rotateBytes = s.longInteger("rotate_bytes", d.rotateBytes(), 1024, Long.MAX_VALUE);
      boolean rotateDaily = s.bool("rotate_daily", d.rotateDaily());
      boolean gzipRotated = s.bool("gzip_rotated", d.gzipRotated());
      int queueSize = s.integer("queue_size", d.queueSize(), 1, 10_000_000);
      long flushMs = s.longInteger("flush_interval_ms", d.flushIntervalMs(), 1, Long.MAX_VALUE);
      s.finish();
      sinks.add(new AuditSinkConfig(type, dir, rotateBytes, rotateDaily, gzipRotated, queueSize,
          flushMs));
    }
    n.finish();
    return new AuditConfig(sinks, maxSafeAtK);
  }

  /** {@code type: kafka}: topic, brokers, compression, queue and pass-through producer settings. */
  private static AuditSinkConfig kafkaSink(ConfigNode s) {
    String servers = s.requiredString("bootstrap_servers",
        "host:port of one or more brokers, comma-separated, such as kafka-0:9092,kafka-1:9092");
    if (servers != null && !servers.matches("[^,:\\s]+:\\d+(\\s*,\\s*[^,:\\s]+:\\d+)*")) {
      s.error("bootstrap_servers", ConfigNode.quote(servers)
          + " is not a list of host:port; allowed: host:port[,host:port...]");
    }
    String topic = s.requiredString("topic", "the Kafka topic audit records are written to");
    if (topic != null && !topic.matches("[a-zA-Z0-9._-]{1,249}")) {
      s.error("topic", ConfigNode.quote(topic)
          + " is not a Kafka topic name; allowed: 1 to 249 of a-z A-Z 0-9 . _ -");
    }
    String compression = s.string("compression", KafkaSinkConfig.DEFAULT_COMPRESSION);
    if (!KafkaSinkConfig.COMPRESSIONS.contains(compression)) {
      s.error("compression", ConfigNode.quote(compression) + " is not one of "
          + String.join(", ", KafkaSinkConfig.COMPRESSIONS));
    }
    int queueSize = s.integer("queue_size", AuditSinkConfig.file("").queueSize(), 1, 10_000_000);
    long closeMs = s.longInteger("close_timeout_ms", KafkaSinkConfig.DEFAULT_CLOSE_TIMEOUT_MS, 0,
        3_600_000);
    Map<String, String> props = s.scalarMap("producer_properties");
    ConfigNode propsNode = props.isEmpty() ? null : s.object("producer_properties");
    for (Map.Entry<String, String> p : props.entrySet()) {
      String problem = KafkaProducerSettings.refusal(p.getKey(), p.getValue());
      if (problem != null && propsNode != null) {
        propsNode.error(p.getKey(), problem);
      }
    }
    KafkaSinkConfig kafka = new KafkaSinkConfig(servers, topic, compression, closeMs, props);
    String badValue = servers == null ? null : KafkaProducerSettings.invalidValue(kafka);
    if (badValue != null && propsNode != null) {
      propsNode.error(badValue);
    }
    s.finish();
    return AuditSinkConfig.kafka(kafka, queueSize);
  }

  /** A required http(s) URL with a host. */
  private static String url(ConfigNode n, String key) {
    String url = n.requiredString(key, "an http:// or https:// URL such as http://127.0.0.1:8000");
    if (url == null) {
      return null;
    }
    try {
      URI uri = new URI(url);
      boolean http = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
      if (http && uri.getHost() != null) {
        return url;
      }
    } catch (URISyntaxException e) {
      // reported below with what is allowed
    }
    n.error(key, ConfigNode.quote(url)
        + " is not a URL; allowed: an http:// or https:// URL such as http://127.0.0.1:8000");
    return url;
  }

  private static String envName(ConfigNode n, String key) {
    String name = n.literalString(key, null);
    if (name != null && !ENV_NAME.matcher(name).matches()) {
      n.error(key, ConfigNode.quote(name) + " is not an environment variable name; allowed:"
          + " letters, digits and '_', not starting with a digit (the name, not ${NAME})");
    }
    return name;
  }

  /** The hash when well formed, else null after recording why; no error for null input. */
  private static String keyHash(ConfigNode n, String key, String value) {
    if (value == null) {
      return null;
    }
    if (ApiKeyHash.isWellFormed(value)) {
      return value;
    }
    n.error(key, ConfigNode.quote(value) + " is not a key hash; allowed: sha256: followed by 64"
        + " lower-case hex digits (run `thinkgate keys new` to make one)");
    return null;
  }

  private static void checkKeyHashes(
      ConfigNode root, ServerConfig server, List<TenantConfig> tenants) {
    Map<String, String> owner = new HashMap<>();
    for (TenantConfig tenant : tenants) {
      for (int i = 0; i < tenant.keyHashes().size(); i++) {
        String hash = tenant.keyHashes().get(i);
        if (!ApiKeyHash.isWellFormed(hash)) {
          continue;
        }
        String path = "tenants." + tenant.name() + ".key_hashes[" + i + "]";
        String previous = owner.putIfAbsent(hash, tenant.name());
        if (previous != null) {
          root.errorAt(path, ApiKeyHash.masked(hash) + " is already a key of tenant '" + previous
              + "'; allowed: each key hash belongs to exactly one tenant");
        } else if (hash.equals(server.adminKeyHash())) {
          root.errorAt(path, ApiKeyHash.masked(hash) + " is also server.admin_key_hash; allowed:"
              + " a tenant key distinct from the admin key");
        }
      }
    }
  }

  private List<ConfigError> crossCheck(
      GatewayConfig config, String configFile, PolicyLoadResult policies, boolean fullConfig) {
    List<ConfigError> errors = new ArrayList<>();
    TreeSet<String> known = new TreeSet<>(config.policies().keySet());
    known.addAll(policies.sources().keySet());
    for (TenantConfig tenant : config.tenants()) {
      String base = "tenants." + tenant.name();
      Policy policy = config.policies().get(tenant.policy());
      if (!known.contains(tenant.policy())) {
        errors.add(new ConfigError(configFile, base + ".policy", ConfigNode.quote(tenant.policy())
            + " is not a known policy; allowed: " + String.join(", ", known)));
      } else if (policy != null && fullConfig && config.guards().isEmpty()
          && policy.screening().anyEnabled()) {
        errors.add(new ConfigError(configFile, base + ".policy", ConfigNode.quote(tenant.policy())
            + " screens text but no guards are configured; allowed: add guards."
            + policy.screening().guard() + " or use a policy without screening"));
      }
      if (!config.routes().isEmpty()) {
        for (int i = 0; i < tenant.models().size(); i++) {
          String pattern = tenant.models().get(i);
          boolean routed = config.routes().stream()
              .anyMatch(r -> ModelPattern.overlaps(pattern, r.model()));
          if (!routed) {
            errors.add(new ConfigError(configFile, base + ".models[" + i + "]",
                ConfigNode.quote(pattern) + " matches no route; allowed: a model served by "
                    + String.join(", ", config.routes().stream().map(RouteConfig::model).toList())));
          }
        }
      }
    }
    errors.addAll(shadowPolicyErrors(config, policies, known));
    if (!config.guards().isEmpty()) {
      TreeSet<String> guardNames = new TreeSet<>(config.guards().keySet());
      for (Policy policy : new java.util.TreeMap<>(config.policies()).values()) {
        if (policy.screening().anyEnabled() && !guardNames.contains(policy.screening().guard())) {
          String file = policies.sources().getOrDefault(policy.name(), "(built-in)");
          errors.add(new ConfigError(file, "screening.guard",
              ConfigNode.quote(policy.screening().guard()) + " is not a configured guard;"
                  + " allowed: " + String.join(", ", guardNames)));
          continue;
        }
        GuardConfig guard = config.guards().get(policy.screening().guard());
        if (policy.screening().anyEnabled() && guard != null) {
          ConfigError ignored = ignoredCategorySubset(policy, guard,
              policies.sources().getOrDefault(policy.name(), "(built-in)"));
          if (ignored != null) {
            errors.add(ignored);
          }
        }
      }
    }
    return errors;
  }

  /**
   * Over the chat API the server renders Llama Guard's own chat template, which lists S1-S14
   * whatever the request says, so a policy's category subset would be silently ignored.
   */
  static ConfigError ignoredCategorySubset(Policy policy, GuardConfig guard, String file) {
    List<String> categories = policy.screening().categories();
    boolean llamaGuard = guard.format() == GatewayConfig.GuardFormat.LLAMA_GUARD_3
        || guard.format() == GatewayConfig.GuardFormat.LLAMA_GUARD_4;
    if (!llamaGuard || guard.api() != GuardApi.CHAT || categories.isEmpty()
        || new java.util.HashSet<>(categories).containsAll(
            dev.thinkgate.guard.LlamaGuardFormat.CATEGORIES.keySet())) {
      return null;
    }
    return new ConfigError(file, "screening.categories", categories + " is a subset, but guard "
        + ConfigNode.quote(guard.name()) + " uses api: chat, whose server-side "
        + guard.format().wire() + " template always lists S1-S14, so the subset would be ignored;"
        + " allowed: set guards." + guard.name() + ".api: completions, or drop categories"
        + " (all fourteen)");
  }

  /** Every {@code shadow_policies} name exists, and no policy trials itself through others. */
  private static List<ConfigError> shadowPolicyErrors(
      GatewayConfig config, PolicyLoadResult policies, TreeSet<String> known) {
    List<ConfigError> errors = new ArrayList<>();
    java.util.Map<String, Policy> all = new java.util.TreeMap<>(config.policies());
    for (Policy policy : all.values()) {
      String file = policies.sources().getOrDefault(policy.name(), "(built-in)");
      List<String> names = policy.shadowPolicies();
      for (int i = 0; i < names.size(); i++) {
        if (!known.contains(names.get(i))) {
          errors.add(new ConfigError(file, "shadow_policies[" + i + "]",
              ConfigNode.quote(names.get(i)) + " is not a known policy; allowed: "
                  + String.join(", ", known)));
        }
      }
      List<String> cycle = shadowCycle(policy.name(), policy.name(), all, new ArrayList<>());
      if (cycle != null && !names.contains(policy.name())) {
        errors.add(new ConfigError(file, "shadow_policies", "forms a cycle: "
            + policy.name() + " -> " + String.join(" -> ", cycle)));
      }
    }
    return errors;
  }

  private static List<String> shadowCycle(String origin, String at, java.util.Map<String, Policy> all,
      List<String> path) {
    Policy p = all.get(at);
    if (p == null || path.size() > all.size()) {
      return null;
    }
    for (String next : p.shadowPolicies()) {
      if (path.contains(next) && !next.equals(origin)) {
        continue;
      }
      path.add(next);
      if (next.equals(origin)) {
        return new ArrayList<>(path);
      }
      List<String> found = shadowCycle(origin, next, all, path);
      if (found != null) {
        return found;
      }
      path.remove(path.size() - 1);
    }
    return null;
  }
}
