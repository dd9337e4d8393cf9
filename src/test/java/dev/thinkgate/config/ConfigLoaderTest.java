package dev.thinkgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.GuardFormat;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
  private static final String HASH_A = ApiKeyHash.of("tg-a");
  private static final String HASH_B = ApiKeyHash.of("tg-b");
  private static final Path SHIPPED_POLICIES = Path.of("policies");

  @TempDir Path dir;
  private final Map<String, String> env = new HashMap<>();
  private final ConfigLoader loader = new ConfigLoader(env::get);

  private LoadResult load(String yaml) throws IOException {
    Path file = dir.resolve("thinkgate.yaml");
    Files.writeString(file, yaml);
    return loader.load(file, SHIPPED_POLICIES);
  }

  private String file() {
    return dir.resolve("thinkgate.yaml").toString();
  }

  private static final String VALID = """
      server:
        port: 8080
      routes:
        - model: "deepseek-*"
          upstream: http://127.0.0.1:8000
      guards:
        default:
          url: http://127.0.0.1:8001
      tenants:
        a:
          key_hashes: [%s]
          policy: strict
          models: [deepseek-r1]
      """.formatted(HASH_A);

  @Test
  void validConfigLoadsWithDefaults() throws IOException {
    LoadResult result = load(VALID);

    assertThat(result.errors()).isEmpty();
    GatewayConfig c = result.config();
    assertThat(c.routes()).singleElement().satisfies(r -> {
      assertThat(r.dialect()).isEqualTo(UpstreamDialect.AUTO);
      assertThat(r.timeouts()).isEqualTo(GatewayConfig.Timeouts.DEFAULT);
      assertThat(r.healthPath()).isEqualTo("/health");
    });
    assertThat(c.guards().get("default").format()).isEqualTo(GuardFormat.LLAMA_GUARD_3);
    assertThat(c.guards().get("default").model()).isEqualTo("meta-llama/Llama-Guard-3-8B");
    assertThat(c.tenants()).singleElement().satisfies(t -> {
      assertThat(t.name()).isEqualTo("a");
      assertThat(t.keyHashes()).containsExactly(HASH_A);
      assertThat(t.requestsPerMinute()).isZero();
    });
    assertThat(c.server().maxBodyBytes()).isEqualTo(GatewayConfig.ServerConfig.DEFAULT.maxBodyBytes());
    assertThat(c.authEnabled()).isTrue();
    assertThat(c.policies()).containsKeys("strict", "passthrough");
  }

  @Test
  void aRoutesMaximumConnectionAgeIsReadAndZeroMeansNoLimit() throws IOException {
    LoadResult result = load("""
        routes:
          - model: a
            upstream: http://127.0.0.1:8000
            timeouts: {max_connection_age_ms: 60000}
          - model: b
            upstream: http://127.0.0.1:8001
            timeouts: {max_connection_age_ms: 0}
          - model: c
            upstream: http://127.0.0.1:8002
        """);

    assertThat(result.errors()).isEmpty();
    assertThat(result.config().routes()).extracting(r -> r.timeouts().maxConnectionAgeMs())
        .containsExactly(60_000L, 0L, GatewayConfig.Timeouts.DEFAULT_MAX_CONNECTION_AGE_MS);
    assertThat(GatewayConfig.Timeouts.DEFAULT_MAX_CONNECTION_AGE_MS).isEqualTo(300_000L);
  }

  @Test
  void quickStartWithoutConfigFileHasServerDefaultsAndNoRoutes() {
    LoadResult result = loader.load(null, SHIPPED_POLICIES);

    assertThat(result.ok()).isTrue();
    assertThat(result.config().server()).isEqualTo(GatewayConfig.ServerConfig.DEFAULT);
    assertThat(result.config().routes()).isEmpty();
    assertThat(result.config().tenants()).isEmpty();
    assertThat(result.config().policies()).hasSize(8);
  }

  @Test
  void portOutOfRangeReadsExactly() throws IOException {
    LoadResult result = load("server:\n  port: 70000\n");

    assertThat(result.errors()).extracting(ConfigError::toString).containsExactly(
        file() + ": server.port: 70000 is out of range; allowed: an integer from 0 to 65535");
    assertThat(result.config()).isNull();
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', value = {
      "server: {admin_port: -1}                               | server.admin_port | -1 is out of range; allowed: an integer from 0 to 65535",
      "server: {port: 9090, admin_port: 9090}                 | server.admin_port | 9090 is also server.port",
      "server: {max_body_bytes: 0}                            | server.max_body_bytes | 0 is out of range; allowed: an integer ≥ 1",
      "server: {watch_config: sometimes}                      | server.watch_config | 'sometimes' is not a boolean",
      "server: {admin_key_hash: abc}                          | server.admin_key_hash | 'abc' is not a key hash; allowed: sha256: followed by 64 lower-case hex digits",
      "server: {hostname: x}                                  | server.hostname | unknown key (did you mean 'host'?)",
      "routes: {model: x}                                     | routes | a mapping is not a list",
      "routes: [{upstream: 'http://h:1'}]                     | routes[0].model | is missing; required: a model name",
      "routes: [{model: m}]                                   | routes[0].upstream | is missing; required: an http:// or https:// URL",
      "routes: [{model: m, upstream: 'ftp://h'}]              | routes[0].upstream | 'ftp://h' is not a URL",
      "routes: [{model: m, upstream: 'http://h', dialect: tgi}] | routes[0].dialect | 'tgi' is not one of vllm, sglang, completions",
      "routes: [{model: m, upstream: 'http://h', chat_template: llama}] | routes[0].chat_template | 'llama' is not one of deepseek-r1, qwen3, qwq",
      "routes: [{model: m, upstream: 'http://h', dialect: tgi}] | routes[0].dialect | 'tgi' is not one of vllm, sglang, completions, auto",
      "routes: [{model: m, upstream: 'http://h', chat_template: deepseek-r1, enable_thinking_kwarg: true}] | routes[0].enable_thinking_kwarg | true, but chat_template 'deepseek-r1' has no enable_thinking variable; allowed: false, or chat_template qwen3",
      "routes: [{model: m, upstream: 'http://h', api_key_env: '${X}'}] | routes[0].api_key_env | is not an environment variable name",
      "routes: [{model: m, upstream: 'http://h', health_path: health}] | routes[0].health_path | 'health' is not an absolute path",
      "routes: [{model: m, upstream: 'http://h', timeouts: {idle_ms: 0}}] | routes[0].timeouts.idle_ms | 0 is out of range",
      "routes: [{model: m, upstream: 'http://h', timeouts: {max_connection_age_ms: -1}}] | routes[0].timeouts.max_connection_age_ms | -1 is out of range",
      "routes: [{model: '*', upstream: 'http://h'}, {model: m, upstream: 'http://h'}] | routes[1].model | 'm' is never used because an earlier route is '*'",
      "routes: [{model: m, upstream: 'http://h'}, {model: m, upstream: 'http://g'}] | routes[1].model | 'm' is already routed",
      "guards: {default: {}}                                  | guards.default.url | is missing",
      "guards: {default: {url: 'http://g', format: llama-guard-2}} | guards.default.format | 'llama-guard-2' is not one of llama-guard-3, llama-guard-4, qwen3guard",
      "guards: {default: {url: 'http://g', api: rest}}        | guards.default.api | 'rest' is not one of completions, chat",
      "guards: {default: {url: 'http://g', max_in_flight: 0}} | guards.default.max_in_flight | 0 is out of range",
      "guards: {default: {url: 'http://g', timeout_ms: x}}    | guards.default.timeout_ms | 'x' is not an integer",
      "tenants: {a: {policy: strictt}}                        | tenants.a.policy | 'strictt' is not a known policy; allowed: balanced, budget, lessthink, morethink, passthrough, shadow-audit, strict, zerothink",
      "tenants: {a: {key_hashes: [sha256:ABC]}}               | tenants.a.key_hashes[0] | 'sha256:ABC' is not a key hash",
      "tenants: {a: {key_hashes: sha256:abc}}                 | tenants.a.key_hashes | 'sha256:abc' is not a list",
      "tenants: {a: {requests_per_minute: -1}}                | tenants.a.requests_per_minute | -1 is out of range",
      "tenants: {a: {max_concurrent_streams: 1.5}}            | tenants.a.max_concurrent_streams | 1.5 is not an integer",
      "tenants: {a: {models: []}}                             | tenants.a.models | [] allows no model",
      "tenants: {a: {policy: zerothink, keys: []}}            | tenants.a.keys | unknown key",
      "tenants: {'a b': {}}                                   | tenants.a b | 'a b' is not a valid tenant name",
      "tenants: {a: {policy: strict}}                         | tenants.a.policy | 'strict' screens text but no guards are configured",
      "audit: {sinks: [{type: s3, dir: x}]}                   | audit.sinks[0].type | 's3' is not one of file, kafka",
      "audit: {sinks: [{type: kafka, topic: t}]}              | audit.sinks[0].bootstrap_servers | is missing; required: host:port",
      "audit: {sinks: [{type: kafka, bootstrap_servers: k, topic: t}]} | audit.sinks[0].bootstrap_servers | 'k' is not a list of host:port",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092'}]} | audit.sinks[0].topic | is missing",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092', topic: 'a/b'}]} | audit.sinks[0].topic | 'a/b' is not a Kafka topic name",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092', topic: t, compression: brotli}]} | audit.sinks[0].compression | 'brotli' is not one of none, gzip, snappy, lz4, zstd",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092', topic: t, dir: x}]} | audit.sinks[0].dir | unknown key",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092', topic: t, producer_properties: {acks: 1}}]} | audit.sinks[0].producer_properties.acks | '1' could lose acknowledged records; allowed: all",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092', topic: t, producer_properties: {enable.idempotence: false}}]} | audit.sinks[0].producer_properties.enable.idempotence | 'false' could duplicate or reorder records; allowed: true",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092', topic: t, producer_properties: {lingr.ms: 5}}]} | audit.sinks[0].producer_properties.lingr.ms | unknown key: not a Kafka producer setting",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092', topic: t, producer_properties: {bootstrap.servers: 'x:1'}}]} | audit.sinks[0].producer_properties.bootstrap.servers | is set by bootstrap_servers",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092', topic: t, producer_properties: {linger.ms: [1]}}]} | audit.sinks[0].producer_properties.linger.ms | is not a scalar",
      "audit: {sinks: [{type: kafka, bootstrap_servers: 'k:9092', topic: t, producer_properties: {linger.ms: soon}}]} | audit.sinks[0].producer_properties | Invalid value soon for configuration linger.ms",
      "audit: {sinks: [{type: file}]}                         | audit.sinks[0].dir | is missing",
      "audit: {sinks: [{dir: x, queue_size: 0}]}              | audit.sinks[0].queue_size | 0 is out of range",
      "audit: {max_safe_at_k_concurrency: 0}                  | audit.max_safe_at_k_concurrency | 0 is out of range",
      "policies_dir: x                                        | policies_dir | unknown key; allowed keys: server, routes, guards, tenants, audit",
  })
  void everyValidationNamesFileAndPath(String yaml, String path, String messagePart)
      throws IOException {
    LoadResult result = load(yaml);

    assertThat(result.errors()).hasSize(1);
    assertThat(result.errors().get(0).file()).isEqualTo(file());
    assertThat(result.errors().get(0).path()).isEqualTo(path);
    assertThat(result.errors().get(0).message()).contains(messagePart);
  }

  @Test
  void aKafkaSinkLoadsWithItsDefaultsAndProducerProperties() throws IOException {
    env.put("KAFKA_JAAS", "org.apache.kafka.common.security.plain.PlainLoginModule required;");
    LoadResult result = load("""
        audit:
          sinks:
            - {type: file, dir: audit}
            - type: kafka
              bootstrap_servers: "kafka-0:9092, kafka-1:9092"
              topic: thinkgate.audit
              producer_properties:
                linger.ms: 50
                sasl.jaas.config: ${KAFKA_JAAS}
                acks: all
        """);

    assertThat(result.errors()).isEmpty();
    assertThat(result.config().audit().sinks()).hasSize(2);
    GatewayConfig.AuditSinkConfig sink = result.config().audit().sinks().get(1);
    assertThat(sink.type()).isEqualTo("kafka");
    assertThat(sink.queueSize()).isEqualTo(10_000);
    GatewayConfig.KafkaSinkConfig kafka = sink.kafka();
    assertThat(kafka.bootstrapServers()).isEqualTo("kafka-0:9092, kafka-1:9092");
    assertThat(kafka.topic()).isEqualTo("thinkgate.audit");
    assertThat(kafka.compression()).isEqualTo("zstd");
    assertThat(kafka.closeTimeoutMs()).isEqualTo(10_000);
    assertThat(kafka.producerProperties()).containsEntry("linger.ms", "50")
        .containsEntry("sasl.jaas.config", env.get("KAFKA_JAAS")).containsEntry("acks", "all");

    java.util.Properties producer = KafkaProducerSettings.of(kafka);
    assertThat(producer).containsEntry("acks", "all").containsEntry("enable.idempotence", "true")
        .containsEntry("compression.type", "zstd").containsEntry("linger.ms", "50")
        .containsEntry("bootstrap.servers", "kafka-0:9092, kafka-1:9092")
        .containsEntry("max.block.ms", "1000").containsEntry("delivery.timeout.ms", "600000");
  }

  @Test
  void duplicateKeyHashAcrossTenantsIsAnErrorThatDoesNotPrintTheWholeHash() throws IOException {
    LoadResult result = load("""
        tenants:
          a: {key_hashes: [%s]}
          b: {key_hashes: [%s, %s]}
        """.formatted(HASH_A, HASH_B, HASH_A));

    assertThat(result.errors()).singleElement().satisfies(e -> {
      assertThat(e.path()).isEqualTo("tenants.b.key_hashes[1]");
      assertThat(e.message()).isEqualTo(ApiKeyHash.masked(HASH_A) + " is already a key of tenant"
          + " 'a'; allowed: each key hash belongs to exactly one tenant");
      assertThat(e.toString()).doesNotContain(HASH_A);
    });
  }

  @Test
  void duplicateTenantNameInYamlIsAnError() throws IOException {
    LoadResult result = load("tenants:\n  a: {}\n  a: {}\n");

    assertThat(result.errors()).singleElement().satisfies(e -> {
      assertThat(e.path()).isEqualTo("tenants.a");
      assertThat(e.message()).startsWith("duplicate key");
    });
  }

  @Test
  void screeningPolicyMustNameAConfiguredGuard() throws IOException {
    LoadResult result = load("""
        guards:
          lg4: {url: "http://g", format: llama-guard-4}
        """);

    // Every shipped policy that screens names guard 'default', which is not configured.
    assertThat(result.errors()).extracting(ConfigError::toString).containsExactly(
        Path.of("policies/balanced.yaml") + ": screening.guard: 'default' is not a configured"
            + " guard; allowed: lg4",
        Path.of("policies/shadow-audit.yaml") + ": screening.guard: 'default' is not a configured"
            + " guard; allowed: lg4",
        Path.of("policies/strict.yaml") + ": screening.guard: 'default' is not a configured"
            + " guard; allowed: lg4");
  }

  /**
   * Finding 8 of issue 15: over {@code api: chat} vLLM renders Llama Guard's own chat template,
   * which hard-codes S1-S14 (huggingface.co meta-llama/Llama-Guard-3-8B, tokenizer_config.json
   * chat_template), so a policy's subset would be silently ignored.
   */
  @Test
  void categorySubsetOnAChatApiLlamaGuardIsRejectedNamingThePolicyFileAndKey() throws IOException {
    Path policiesDir = Files.createDirectories(dir.resolve("policies"));
    Path narrow = policiesDir.resolve("narrow.yaml");
    Files.writeString(narrow, """
        screening:
          guard: default
          thinking: {release: hold, action: block}
          categories: [S1, S10]
        """);
    Files.writeString(policiesDir.resolve("everything.yaml"), """
        screening:
          guard: default
          answer: {release: hold, action: block}
        """);
    Path config = dir.resolve("thinkgate.yaml");
    String yaml = """
        guards:
          default: {url: "http://g", format: llama-guard-3, api: %s}
        """;

    Files.writeString(config, yaml.formatted("chat"));
    LoadResult chat = loader.load(config, policiesDir);
    Files.writeString(config, yaml.formatted("completions"));
    LoadResult completions = loader.load(config, policiesDir);

    assertThat(chat.errors()).extracting(ConfigError::toString).containsExactly(
        narrow + ": screening.categories: [S1, S10] is a subset, but guard 'default' uses api: chat,"
            + " whose server-side llama-guard-3 template always lists S1-S14, so the subset would be"
            + " ignored; allowed: set guards.default.api: completions, or drop categories (all fourteen)");
    assertThat(completions.errors()).isEmpty();
  }

  @Test
  void tenantModelPatternMustMatchSomeRoute() throws IOException {
    LoadResult result = load("""
        routes:
          - {model: "deepseek-*", upstream: "http://u"}
        tenants:
          a: {models: ["deepseek-r1-7b", "qwen-*", "deep*"]}
        """);

    assertThat(result.errors()).extracting(ConfigError::toString).containsExactly(
        file() + ": tenants.a.models[1]: 'qwen-*' matches no route; allowed: a model served by"
            + " deepseek-*");
  }

  @Test
  void collectsErrorsOfConfigAndPoliciesTogether(@TempDir Path policies) throws IOException {
    Files.writeString(policies.resolve("bad.yaml"), "client_dialect: xml\n");
    Path config = dir.resolve("thinkgate.yaml");
    Files.writeString(config, "server: {port: -1}\ntenants: {a: {policy: nope}}\n");

    LoadResult result = loader.load(config, policies);

    assertThat(result.errors()).extracting(ConfigError::path)
        .containsExactly("server.port", "client_dialect", "tenants.a.policy");
  }

  @Test
  void shadowPoliciesMustExistAndNeverLoopBack(@TempDir Path policies) throws IOException {
    // Given a policy naming an unknown policy, a pair trialing each other, and one trialing itself
    Files.writeString(policies.resolve("a.yaml"), "shadow_policies: [b, nope]\n");
    Files.writeString(policies.resolve("b.yaml"), "shadow_policies: [a]\n");
    Files.writeString(policies.resolve("c.yaml"), "shadow_policies: [c]\nshadow_concurrency: 0\n");
    Files.writeString(policies.resolve("d.yaml"), "shadow_policies: [a]\nshadow_concurrency: 3\n");

    LoadResult result = loader.load(null, policies);

    // Then each problem names its file and key path
    assertThat(result.errors()).extracting(e -> Path.of(e.file()).getFileName() + ":" + e.path())
        .containsExactlyInAnyOrder("c.yaml:shadow_concurrency", "c.yaml:shadow_policies",
            "a.yaml:shadow_policies[1]", "a.yaml:shadow_policies", "b.yaml:shadow_policies");
    assertThat(result.errors()).anySatisfy(e -> assertThat(e.message())
        .contains("'nope' is not a known policy"));
    assertThat(result.errors()).anySatisfy(e -> assertThat(e.message())
        .isEqualTo("forms a cycle: a -> b -> a"));
  }

  @Test
  void theShippedShadowAuditPolicyTrialsStrictAndBalanced() throws IOException {
    LoadResult result = loader.load(null, SHIPPED_POLICIES);

    assertThat(result.ok()).isTrue();
    assertThat(result.config().policies().get("shadow-audit").shadowPolicies())
        .containsExactly("strict", "balanced");
  }

  @Test
  void environmentSubstitutionWithDefaultsAndTypedValues() throws IOException {
    env.put("UPSTREAM", "http://vllm:8000");
    env.put("PORT", "8181");

    LoadResult result = load("""
        server:
          port: ${PORT}
          admin_port: ${ADMIN_PORT:-9191}
          watch_config: ${WATCH:-false}
        routes:
          - model: "*"
            upstream: ${UPSTREAM}
            upstream_model: ${UPSTREAM_MODEL:-deepseek-r1}
        """);

    assertThat(result.errors()).isEmpty();
    assertThat(result.config().server().port()).isEqualTo(8181);
    assertThat(result.config().server().adminPort()).isEqualTo(9191);
    assertThat(result.config().server().watchConfig()).isFalse();
    assertThat(result.config().routes().get(0).upstream()).isEqualTo("http://vllm:8000");
    assertThat(result.config().routes().get(0).upstreamModel()).isEqualTo("deepseek-r1");
  }

  @Test
  void missingEnvironmentVariableNamesFileKeyAndVariable() throws IOException {
    LoadResult result = load("routes:\n  - model: m\n    upstream: ${VLLM_URL}\n");

    assertThat(result.errors()).extracting(ConfigError::toString).containsExactly(
        file() + ": routes[0].upstream: environment variable VLLM_URL is not set and has no"
            + " default; set it or write ${VLLM_URL:-default}");
  }

  @Test
  void substitutedNumberMustStillBeANumberInRange() throws IOException {
    env.put("PORT", "eighty");
    LoadResult result = load("server: {port: '${PORT}', admin_port: '${ADMIN:-99999}'}\n");

    assertThat(result.errors()).extracting(ConfigError::toString).containsExactly(
        file() + ": server.port: 'eighty' is not an integer; allowed: an integer from 0 to 65535",
        file() + ": server.admin_port: 99999 is out of range; allowed: an integer from 0 to 65535");
  }

  @Test
  void quotedNumberWithoutSubstitutionIsAWrongType() throws IOException {
    LoadResult result = load("server: {port: '8080'}\n");

    assertThat(result.errors()).extracting(ConfigError::message)
        .containsExactly("'8080' is not an integer; allowed: an integer from 0 to 65535");
  }

  @Test
  void missingConfigFileIsAnError() {
    LoadResult result = loader.load(dir.resolve("absent.yaml"), SHIPPED_POLICIES);

    assertThat(result.errors()).extracting(ConfigError::toString)
        .containsExactly(dir.resolve("absent.yaml") + ": file not found");
  }

  @Test
  void shippedDemoConfigPassesWithAnEmptyEnvironment() {
    LoadResult result = loader.load(Path.of("conf/thinkgate.yaml"), SHIPPED_POLICIES);

    assertThat(result.errors()).isEmpty();
    GatewayConfig c = result.config();
    assertThat(c.routes()).singleElement().satisfies(r -> {
      assertThat(r.model()).isEqualTo("*");
      assertThat(r.upstream()).isEqualTo("http://127.0.0.1:8000");
    });
    assertThat(c.guards().get("default").url()).isEqualTo("http://127.0.0.1:8001");
    assertThat(c.tenants()).extracting(GatewayConfig.TenantConfig::name)
        .containsExactly("demo-strict", "demo-balanced", "demo-shadow");
    assertThat(c.tenants().get(0).keyHashes()).containsExactly(ApiKeyHash.of("tg-demo-strict"));
    assertThat(c.tenants().get(1).keyHashes()).containsExactly(ApiKeyHash.of("tg-demo-balanced"));
    assertThat(c.tenants().get(2).keyHashes()).containsExactly(ApiKeyHash.of("tg-demo-shadow"));
    assertThat(c.server().adminKeyHash()).isEqualTo(ApiKeyHash.of("tg-demo-admin"));
    assertThat(c.audit().sinks()).singleElement()
        .satisfies(s -> assertThat(s.dir()).isEqualTo("audit"));
  }

  @Test
  void shippedDemoConfigFollowsItsEnvironment() {
    env.put("THINKGATE_UPSTREAM", "http://gpu:8000");
    env.put("THINKGATE_AUDIT_DIR", "/data/audit");

    LoadResult result = loader.load(Path.of("conf/thinkgate.yaml"), SHIPPED_POLICIES);

    assertThat(result.config().routes().get(0).upstream()).isEqualTo("http://gpu:8000");
    assertThat(result.config().audit().sinks().get(0).dir()).isEqualTo("/data/audit");
  }

  @Test
  void shippedProductionExamplePasses() {
    env.put("VLLM_API_KEY", "not-a-real-key");

    LoadResult result = loader.load(Path.of("conf/production.example.yaml"), SHIPPED_POLICIES);

    assertThat(result.errors()).isEmpty();
    assertThat(result.config().routes().get(0).upstream()).isEqualTo("http://vllm:8000");
    assertThat(result.config().routes().get(0).apiKeyEnv()).isEqualTo("VLLM_API_KEY");
    assertThat(result.config().guards().get("default").url()).isEqualTo("http://llama-guard:8000");
  }

  @Test
  void withPoliciesRevalidatesAProgrammaticConfig(@TempDir Path policies) throws IOException {
    GatewayConfig base = new GatewayConfig(null, null, null,
        List.of(new GatewayConfig.TenantConfig("t", List.of(HASH_A), "mine", null, 0, 0)),
        null, null);
    assertThat(loader.withPolicies(base, policies).errors()).extracting(ConfigError::path)
        .containsExactly("tenants.t.policy");

    Files.writeString(policies.resolve("mine.yaml"), "reasoning: {mode: zerothink}\n");
    LoadResult ok = loader.withPolicies(base, policies);
    assertThat(ok.errors()).isEmpty();
    assertThat(ok.config().policies()).containsOnlyKeys("mine", "passthrough");
  }
}
