package dev.thinkgate.proxy;

import dev.thinkgate.config.GatewayConfig.RouteConfig;
import io.vertx.core.http.HttpClientAgent;

/**
 * A configured route bound to its HTTP clients (one per event loop).
 *
 * @param baseUrl the upstream's origin and path prefix without a trailing {@code /v1}
 * @param apiKey the upstream's API key (from the environment), or null; never logged
 */
record UpstreamRoute(RouteConfig config, LoopLocalClients clients, String baseUrl, String apiKey) {
  /** The HTTP client of the calling event loop. */
  HttpClientAgent client() {
    return clients.current();
  }

  /** A short label for metrics and logs (the route's model pattern). */
  String label() {
    return config.model();
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
