package dev.thinkgate.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.config.GatewayConfig.RedisConfig;
import dev.thinkgate.config.GatewayConfig.StateBackend;
import dev.thinkgate.config.GatewayConfig.StateConfig;
import dev.thinkgate.config.GatewayConfig.StateFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code state:} section, {@code tenants.*.on_state_error} and {@code guards.*.shared_cache}. */
class StateConfigTest {
  private static final String HASH_A = ApiKeyHash.of("tg-a");

  @TempDir Path dir;
  private final Map<String, String> env = new HashMap<>();
  private final ConfigLoader loader = new ConfigLoader(env::get);

  private static final String BASE = """
      routes:
        - model: "*"
          upstream: http://127.0.0.1:8000
      guards:
        default:
          url: http://127.0.0.1:8001
      %s
      tenants:
        a:
          key_hashes: [%s]
          policy: strict
          requests_per_minute: 60
      %s
      """;

  private LoadResult load(String guardExtra, String tenantExtra, String state) throws IOException {
    String yaml = BASE.formatted(guardExtra, HASH_A, tenantExtra) + state;
    Path file = dir.resolve("thinkgate.yaml");
    Files.writeString(file, yaml);
    return loader.load(file, Path.of("policies"));
  }

  private List<String> errors(LoadResult result) {
    return result.errors().stream().map(ConfigError::toString).toList();
  }

  private String file() {
    return dir.resolve("thinkgate.yaml").toString();
  }

  @Test
  void withoutAStateSectionStateIsLocalAndFailsOpen() throws IOException {
    LoadResult result = load("", "", "");

    assertThat(result.errors()).isEmpty();
    assertThat(result.config().state()).isEqualTo(StateConfig.LOCAL);
    assertThat(result.config().state().onStateError()).isEqualTo(StateFailure.FAIL_OPEN);
    assertThat(result.config().guards().get("default").sharedCache()).isFalse();
    assertThat(result.config().tenants().get(0).onStateError()).isNull();
  }

  @Test
  void aRedisStateParsesEveryKeyAndTheOverrides() throws IOException {
    env.put("REDIS_URL", "redis://redis.internal:6380/2");
    LoadResult result = load("    shared_cache: true", "    on_state_error: fail_closed", """
        state:
          backend: redis
          on_state_error: fail_open
          redis:
            url: ${REDIS_URL}
            connect_timeout_ms: 500
            command_timeout_ms: 100
            lease_ttl_ms: 10000
            key_prefix: "tg-prod:"
            max_pool_size: 4
        """);

    assertThat(result.errors()).isEmpty();
    StateConfig state = result.config().state();
    assertThat(state.backend()).isEqualTo(StateBackend.REDIS);
    assertThat(state.redis()).isEqualTo(
        new RedisConfig("redis://redis.internal:6380/2", 500, 100, 10_000, "tg-prod:", 4));
    assertThat(result.config().guards().get("default").sharedCache()).isTrue();
    assertThat(result.config().tenants().get(0).onStateError()).isEqualTo(StateFailure.FAIL_CLOSED);
    assertThat(ConfigRenderer.gatewayMasked(result.config()).get("state").toString())
        .contains("\"backend\":\"redis\"", "\"lease_ttl_ms\":10000");
  }

  @Test
  void redisDefaultsApplyToKeysLeftOut() throws IOException {
    LoadResult result = load("", "", """
        state:
          backend: redis
          redis:
            url: redis://127.0.0.1:6379
        """);

    assertThat(result.errors()).isEmpty();
    assertThat(result.config().state().redis()).isEqualTo(RedisConfig.DEFAULT);
  }

  @Test
  void badValuesNameTheFileTheKeyAndWhatIsAllowed() throws IOException {
    LoadResult result = load("", "    on_state_error: fail_maybe", """
        state:
          backend: memcached
          on_state_error: shrug
          redis:
            url: http://127.0.0.1:6379
            command_timeout_ms: 1000
            lease_ttl_ms: 2000
            pool: 3
        """);

    assertThat(errors(result)).anySatisfy(e -> assertThat(e)
            .startsWith(file() + ": state.backend: 'memcached' is not one of local, redis"))
        .anySatisfy(e -> assertThat(e).startsWith(file() + ": state.on_state_error: 'shrug'")
            .contains("fail_open, fail_closed"))
        .anySatisfy(e -> assertThat(e).startsWith(file() + ": tenants.a.on_state_error:"))
        .anySatisfy(e -> assertThat(e).startsWith(file() + ": state.redis.url: "
            + "'http://127.0.0.1:6379' is not a Redis URL; allowed: a redis:// or rediss:// URL"))
        .anySatisfy(e -> assertThat(e).startsWith(file() + ": state.redis.lease_ttl_ms: 2000 is"
            + " less than three times command_timeout_ms (1000); allowed: at least 3000"))
        .anySatisfy(e -> assertThat(e).startsWith(file() + ": state.redis.pool: unknown key"));
  }

  @Test
  void redisBackendNeedsItsConnection() throws IOException {
    LoadResult result = load("", "", """
        state:
          backend: redis
        """);

    assertThat(errors(result)).containsExactly(file() + ": state.redis: is missing; allowed: a"
        + " mapping with at least url (a redis:// or rediss:// URL such as redis://127.0.0.1:6379)"
        + " when backend is redis");
  }

  @Test
  void aSharedVerdictCacheNeedsRedis() throws IOException {
    LoadResult result = load("    shared_cache: true", "", "");

    assertThat(errors(result)).containsExactly(file() + ": guards.default.shared_cache: true, but"
        + " state.backend is local; allowed: false, or set state.backend: redis with"
        + " state.redis.url");
  }
}
