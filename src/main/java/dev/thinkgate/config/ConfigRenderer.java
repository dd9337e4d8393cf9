package dev.thinkgate.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.TenantConfig;
import dev.thinkgate.policy.AuditPolicy;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.policy.ReasoningPolicy;
import dev.thinkgate.policy.ScreeningPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.TreeMap;

/**
 * Writes configuration back as trees with the same snake_case keys the loaders read, so that a
 * rendered policy loads to the same record. {@link #gatewayMasked} hides secrets: key hashes are
 * shortened to a prefix, URL credentials are removed, and API keys are only ever named by their
 * environment variable.
 */
public final class ConfigRenderer {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final YAMLMapper YAML = YAMLMapper.builder()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .build();

  private ConfigRenderer() {}

  /** Every key of the policy, defaults included (the name is not a key: it is the file name). */
  public static ObjectNode policy(Policy p) {
    ObjectNode out = JSON.objectNode();
    out.put("description", p.description());
    ReasoningPolicy r = p.reasoning();
    ObjectNode reasoning = out.putObject("reasoning");
    reasoning.put("mode", r.mode().wire());
    strings(reasoning.putArray("allow_override"), r.allowOverride().stream().map(WireNames::of).toList());
    if (r.onUnsafeInput() != null) {
      reasoning.put("on_unsafe_input", r.onUnsafeInput().wire());
    }
    reasoning.put("show_prefill", r.showPrefill());
    ObjectNode more = reasoning.putObject("morethink");
    more.put("think_budget", r.morethink().thinkBudget());
    more.put("max_rounds", r.morethink().maxRounds());
    more.put("total_max_tokens", r.morethink().totalMaxTokens());
    strings(more.putArray("continuations"), r.morethink().continuations());
    if (r.morethink().seed() != null) {
      more.put("seed", r.morethink().seed());
    }
    ObjectNode budget = reasoning.putObject("budget");
    budget.put("think_tokens", r.budget().thinkTokens());
    budget.put("closing", r.budget().closing());
    strings(reasoning.putObject("safety_template").putArray("categories"),
        r.safetyTemplate().categories());
    out.put("client_dialect", p.clientDialect().wire());

    ScreeningPolicy s = p.screening();
    ObjectNode screening = out.putObject("screening");
    screening.put("guard", s.guard());
    ObjectNode input = screening.putObject("input");
    input.put("enabled", s.input().enabled());
    input.put("action", WireNames.of(s.input().action()));
    span(screening.putObject("thinking"), s.thinking());
    span(screening.putObject("answer"), s.answer());
    screening.put("checkpoint_tokens", s.checkpointTokens());
    screening.put("window_tokens", s.windowTokens());
    screening.put("on_guard_error", WireNames.of(s.onGuardError()));
    strings(screening.putArray("categories"), s.categories());
    screening.put("refusal", s.refusal());
    screening.put("keepalive_ms", s.keepaliveMs());
    screening.put("controversial_as", WireNames.of(s.controversialAs()));

    AuditPolicy a = p.audit();
    ObjectNode audit = out.putObject("audit");
    audit.put("sample_rate", a.sampleRate());
    audit.put("redact_prompt", a.redactPrompt());
    ObjectNode k = audit.putObject("safe_at_k");
    k.put("k", a.safeAtK().k());
    k.put("sample_rate", a.safeAtK().sampleRate());
    k.put("temperature", a.safeAtK().temperature());
    k.put("top_p", a.safeAtK().topP());
    k.put("max_concurrency", a.safeAtK().maxConcurrency());
    ArrayNode shadow = out.putArray("shadow_policies");
    p.shadowPolicies().forEach(shadow::add);
    out.put("shadow_concurrency", p.shadowConcurrency());
    return out;
  }

  /** The policy as YAML, as {@code thinkgate policy show} prints it. */
  public static String policyYaml(Policy p) {
    try {
      return YAML.writeValueAsString(policy(p));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("rendering a tree of plain values cannot fail", e);
    }
  }

  /** The whole configuration for the admin API, with secrets masked. */
  public static ObjectNode gatewayMasked(GatewayConfig c) {
    ObjectNode out = JSON.objectNode();
    ObjectNode server = out.putObject("server");
    server.put("host", c.server().host());
    server.put("port", c.server().port());
    server.put("admin_port", c.server().adminPort());
    server.put("admin_key_hash", ApiKeyHash.masked(c.server().adminKeyHash()));
    server.put("max_body_bytes", c.server().maxBodyBytes());
    server.put("request_timeout_ms", c.server().requestTimeoutMs());
    server.put("watch_config", c.server().watchConfig());
    server.put("drain_timeout_ms", c.server().drainTimeoutMs());

    ArrayNode routes = out.putArray("routes");
    for (RouteConfig r : c.routes()) {
      ObjectNode route = routes.addObject();
      route.put("model", r.model());
      route.put("upstream", withoutCredentials(r.upstream()));
      route.put("dialect", WireNames.of(r.dialect()));
      route.put("upstream_model", r.upstreamModel());
      route.put("api_key_env", r.apiKeyEnv());
      route.put("chat_template", r.chatTemplate());
      route.put("enable_thinking_kwarg", r.enableThinkingKwarg());
      route.put("implicit_think_open", r.implicitThinkOpen());
      ObjectNode t = route.putObject("timeouts");
      t.put("connect_ms", r.timeouts().connectMs());
      t.put("first_byte_ms", r.timeouts().firstByteMs());
      t.put("idle_ms", r.timeouts().idleMs());
      t.put("total_ms", r.timeouts().totalMs());
      t.put("pool_acquire_ms", r.timeouts().poolAcquireMs());
      t.put("max_connection_age_ms", r.timeouts().maxConnectionAgeMs());
      route.put("health_path", r.healthPath());
    }

    ObjectNode guards = out.putObject("guards");
    for (GuardConfig g : new TreeMap<>(c.guards()).values()) {
      ObjectNode guard = guards.putObject(g.name());
      guard.put("url", withoutCredentials(g.url()));
      guard.put("format", g.format().wire());
      guard.put("model", g.model());
      guard.put("api", WireNames.of(g.api()));
      guard.put("api_key_env", g.apiKeyEnv());
      guard.put("timeout_ms", g.timeoutMs());
      guard.put("max_in_flight", g.maxInFlight());
      guard.put("max_queue", g.maxQueue());
      guard.put("breaker_failures", g.breakerFailures());
      guard.put("breaker_open_ms", g.breakerOpenMs());
      guard.put("cache_max_entries", g.cacheMaxEntries());
      guard.put("cache_ttl_ms", g.cacheTtlMs());
      guard.put("shared_cache", g.sharedCache());
    }

    ObjectNode tenants = out.putObject("tenants");
    for (TenantConfig t : c.tenants()) {
      ObjectNode tenant = tenants.putObject(t.name());
      strings(tenant.putArray("key_hashes"),
          t.keyHashes().stream().map(ApiKeyHash::masked).toList());
      tenant.put("policy", t.policy());
      strings(tenant.putArray("models"), t.models());
      tenant.put("requests_per_minute", t.requestsPerMinute());
      tenant.put("max_concurrent_streams", t.maxConcurrentStreams());
      if (t.onStateError() != null) {
        tenant.put("on_state_error", WireNames.of(t.onStateError()));
      }
    }

    ObjectNode audit = out.putObject("audit");
    audit.put("max_safe_at_k_concurrency", c.audit().maxSafeAtKConcurrency());
    ArrayNode sinks = audit.putArray("sinks");
    for (AuditSinkConfig s : c.audit().sinks()) {
      ObjectNode sink = sinks.addObject();
      sink.put("type", s.type());
      if (s.kafka() != null) {
        kafkaSink(sink, s);
        continue;
      }
      sink.put("dir", s.dir());
      sink.put("rotate_bytes", s.rotateBytes());
      sink.put("rotate_daily", s.rotateDaily());
      sink.put("gzip_rotated", s.gzipRotated());
      sink.put("queue_size", s.queueSize());
      sink.put("flush_interval_ms", s.flushIntervalMs());
    }

    ObjectNode state = out.putObject("state");
    state.put("backend", WireNames.of(c.state().backend()));
    state.put("on_state_error", WireNames.of(c.state().onStateError()));
    if (c.state().redis() != null) {
      GatewayConfig.RedisConfig r = c.state().redis();
      ObjectNode redis = state.putObject("redis");
      redis.put("url", withoutCredentials(r.url()));
      redis.put("connect_timeout_ms", r.connectTimeoutMs());
      redis.put("command_timeout_ms", r.commandTimeoutMs());
      redis.put("lease_ttl_ms", r.leaseTtlMs());
      redis.put("key_prefix", r.keyPrefix());
      redis.put("max_pool_size", r.maxPoolSize());
    }

    ObjectNode policies = out.putObject("policies");
    for (Policy p : new TreeMap<>(c.policies()).values()) {
      policies.set(p.name(), policy(p));
    }
    return out;
  }

  private static void span(ObjectNode node, ScreeningPolicy.SpanScreen span) {
    node.put("enabled", span.enabled());
    node.put("release", WireNames.of(span.release()));
    node.put("action", WireNames.of(span.action()));
  }

  private static void strings(ArrayNode array, Collection<String> values) {
    values.forEach(array::add);
  }

  /** A Kafka sink; producer settings that may hold credentials are masked. */
  private static void kafkaSink(ObjectNode sink, AuditSinkConfig s) {
    GatewayConfig.KafkaSinkConfig k = s.kafka();
    sink.put("bootstrap_servers", k.bootstrapServers());
    sink.put("topic", k.topic());
    sink.put("compression", k.compression());
    sink.put("queue_size", s.queueSize());
    sink.put("close_timeout_ms", k.closeTimeoutMs());
    ObjectNode props = sink.putObject("producer_properties");
    new TreeMap<>(k.producerProperties()).forEach((name, value) -> props.put(name,
        name.matches("(?i).*(password|jaas|secret|key|token|credential).*") ? "****" : value));
  }

  /** A URL with any {@code user:password@} removed; unparsable URLs are hidden entirely. */
  static String withoutCredentials(String url) {
    if (url == null) {
      return null;
    }
    try {
      URI uri = new URI(url);
      if (uri.getUserInfo() == null) {
        return url;
      }
      return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(),
          uri.getQuery(), uri.getFragment()).toString();
    } catch (URISyntaxException e) {
      return "(hidden)";
    }
  }
}
