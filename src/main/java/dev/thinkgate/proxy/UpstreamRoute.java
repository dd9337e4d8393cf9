package dev.thinkgate.proxy;

import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.reasoning.PrefillProbe;
import dev.thinkgate.reasoning.PrefillProbe.Decision;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;

/**
 * A configured route bound to its upstream: the connection pools of streamed calls, and an HTTP
 * client for the occasional plain request (health checks, the model list).
 */
final class UpstreamRoute {
  private final RouteConfig config;
  private final HttpClientAgent client;
  /** Where every plain request over {@link #client} is made (else a body can be lost). */
  private final dev.thinkgate.http.ClientContext clientContext;
  private final UpstreamPools pools;
  private final String baseUrl;
  private final String apiKey;
  private final byte[] headers;
  /** How prefills reach the model: the configured dialect until a probe decides (auto). */
  private volatile Decision decision;
  private volatile RouteConfig effective;
  private volatile RouteConfig rawText;

  /**
   * @param baseUrl the upstream's origin and path prefix without a trailing {@code /v1}
   * @param apiKey the upstream's API key (from the environment), or null; never logged
   * @throws IllegalArgumentException when the key holds a line break or control character, which
   *     would end the header early
   */
  UpstreamRoute(RouteConfig config, HttpClientAgent client,
      dev.thinkgate.http.ClientContext clientContext, UpstreamPools pools, String baseUrl,
      String apiKey) {
    this.config = config;
    this.client = client;
    this.clientContext = clientContext;
    this.pools = pools;
    this.baseUrl = baseUrl;
    this.apiKey = apiKey;
    if (apiKey != null && apiKey.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new IllegalArgumentException("the upstream API key of route '" + config.model()
          + "' contains a control character");
    }
    this.headers = pools.origin().jsonHeaders("text/event-stream",
        apiKey == null ? null : "Bearer " + apiKey);
    decide(Decision.configured(config));
  }

  /** The prefill decision in force (see {@link PrefillProbe}). */
  Decision decision() {
    return decision;
  }

  void decide(Decision decision) {
    this.effective = decision.apply(config);
    this.rawText = decision.applyForRawText(config);
    this.decision = decision;
  }

  /** The route as the reasoning runners use it: {@code dialect: auto} resolved by the probe. */
  RouteConfig effectiveConfig() {
    return effective;
  }

  /** The route for MoreThink rounds: raw text where a template is known (see the decision). */
  RouteConfig rawTextConfig() {
    return rawText;
  }

  /** A transport for {@link PrefillProbe}: plain JSON POSTs to the upstream's origin. */
  PrefillProbe.Transport probeTransport() {
    return (path, body) -> {
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
          .setAbsoluteURI(baseUrl + path)
          .setTimeout(Math.max(1_000, Math.min(30_000, config.timeouts().connectMs() * 5)))
          .putHeader("Content-Type", "application/json");
      if (apiKey != null) {
        options.putHeader("Authorization", "Bearer " + apiKey);
      }
      return call(c -> c.request(options)
          .compose(request -> request.send(body.toBuffer()))
          .compose(response -> response.body().map(buffer -> {
            JsonObject json;
            try {
              json = buffer.length() == 0 ? new JsonObject() : buffer.toJsonObject();
            } catch (RuntimeException e) {
              json = new JsonObject();
            }
            return new PrefillProbe.Reply(response.statusCode(), json);
          })));
    };
  }

  /**
   * The model name to probe with: the upstream's, else the route's when it is not a pattern,
   * else the first the server lists at {@code /v1/models} (vLLM checks the name).
   */
  Future<String> probeModel() {
    if (config.upstreamModel() != null) {
      return Future.succeededFuture(config.upstreamModel());
    }
    if (!config.model().contains("*")) {
      return Future.succeededFuture(config.model());
    }
    return listedModel(3).otherwise(config.model());
  }

  /** The first model {@code /v1/models} lists, asking up to {@code attempts} times (a server
   * that has just started may answer its first request before its routes are in place). */
  private Future<String> listedModel(int attempts) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
        .setAbsoluteURI(baseUrl + "/v1/models").setTimeout(10_000);
    if (apiKey != null) {
      options.putHeader("Authorization", "Bearer " + apiKey);
    }
    Future<String> listed = call(c -> c.request(options).compose(request -> request.send())
        .compose(response -> response.body().map(buffer -> {
          if (response.statusCode() != 200) {
            throw new IllegalStateException("/v1/models answered " + response.statusCode());
          }
          return buffer.toJsonObject().getJsonArray("data").getJsonObject(0).getString("id");
        })));
    return attempts <= 1 ? listed : listed.recover(t -> listedModel(attempts - 1));
  }


  RouteConfig config() {
    return config;
  }

  /**
   * A plain request over the route's client (streamed calls go through {@link #pools()}), made on
   * the client's one context; its outcome can be used from any thread.
   */
  <T> Future<T> call(java.util.function.Function<HttpClientAgent, Future<T>> exchange) {
    return clientContext.call(() -> exchange.apply(client));
  }

  UpstreamPools pools() {
    return pools;
  }

  String baseUrl() {
    return baseUrl;
  }

  String apiKey() {
    return apiKey;
  }

  /** A short label for metrics and logs (the route's model pattern). */
  String label() {
    return config.model();
  }

  /** The whole HTTP/1.1 request for a JSON POST to {@code path} (e.g. {@code /v1/completions}). */
  Buffer post(String path, Buffer json) {
    return pools.origin().jsonPost(path, headers, json);
  }

  @Override
  public String toString() {
    return "UpstreamRoute[" + config.model() + " -> " + baseUrl + "]";
  }

  static String normalizeBase(String url) {
    String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    return u.endsWith("/v1") ? u.substring(0, u.length() - 3) : u;
  }
}
