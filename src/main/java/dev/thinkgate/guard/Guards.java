package dev.thinkgate.guard;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.thinkgate.config.GatewayConfig.GuardApi;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.GuardFormat;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.time.Duration;
import java.util.function.Function;

/** Builds the guard a {@link GuardConfig} describes: the HTTP client, wrapped in the verdict cache. */
public final class Guards {

  private Guards() {}

  public static GuardPromptFormat format(GuardFormat format) {
    switch (format) {
      case LLAMA_GUARD_3:
        return LlamaGuardFormat.llamaGuard3();
      case LLAMA_GUARD_4:
        return LlamaGuardFormat.llamaGuard4();
      case QWEN3GUARD:
        return new Qwen3GuardFormat();
      default:
        throw new IllegalArgumentException("unknown guard format " + format);
    }
  }

  /**
   * @param env reads an environment variable (the API key named by {@code apiKeyEnv})
   * @return a cached HTTP guard; uncached when {@code cacheMaxEntries <= 0}
   */
  public static Guard create(GuardConfig config, Vertx vertx, MeterRegistry registry,
      Function<String, String> env) {
    return create(config, vertx, registry, env, () -> null,
        new dev.thinkgate.state.StateErrors(registry));
  }

  /**
   * @param sharedState the replicas' Redis for {@code shared_cache: true} (the current one, or
   *     null while the state is local)
   */
  public static Guard create(GuardConfig config, Vertx vertx, MeterRegistry registry,
      Function<String, String> env,
      java.util.function.Supplier<dev.thinkgate.state.RedisState> sharedState,
      dev.thinkgate.state.StateErrors stateErrors) {
    return create(config, vertx, registry, env, sharedState, stateErrors, null);
  }

  /**
   * @param transports the transport of calls made on an event loop (the gateway's pooled
   *     HTTP/1.1 client), or null for Vert.x's HTTP client
   */
  public static Guard create(GuardConfig config, Vertx vertx, MeterRegistry registry,
      Function<String, String> env,
      java.util.function.Supplier<dev.thinkgate.state.RedisState> sharedState,
      dev.thinkgate.state.StateErrors stateErrors, GuardTransport.Factory transports) {
    GuardPromptFormat format = format(config.format());
    // Qwen3Guard's policy lives in its chat template: always use the chat API for it.
    GuardConfig effective = format.supportsCompletions() || config.api() == GuardApi.CHAT ? config
        : config.withApi(GuardApi.CHAT);
    HttpClient client = vertx.httpClientBuilder()
        .with(new HttpClientOptions().setKeepAlive(true).setConnectTimeout((int) Math.min(Integer.MAX_VALUE,
            Math.max(1, effective.timeoutMs()))))
        .with(new PoolOptions().setHttp1MaxSize(Math.max(1, effective.maxInFlight())))
        .build();
    HttpGuard guard = new HttpGuard(effective, format, client, transports, vertx, registry, env,
        System::currentTimeMillis);
    if (effective.cacheMaxEntries() <= 0 || effective.cacheTtlMs() <= 0) {
      return guard;
    }
    GuardApi api = effective.api();
    RedisVerdictCache secondLevel = effective.sharedCache()
        ? new RedisVerdictCache(effective.name(), sharedState, stateErrors, effective.cacheTtlMs(),
            registry)
        : null;
    // the key text is unchanged since keys were first shared in Redis: replicas of either
    // version find each other's verdicts
    return new CachingGuard(guard, effective.format().wire() + '\u0000' + api + '\u0000'
        + effective.model() + '\u0000', effective.cacheMaxEntries(),
        Duration.ofMillis(effective.cacheTtlMs()), Ticker.systemTicker(), registry, secondLevel);
  }
}
