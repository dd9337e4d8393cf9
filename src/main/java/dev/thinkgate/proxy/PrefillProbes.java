package dev.thinkgate.proxy;

import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.reasoning.PrefillRoute;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The prefill probe of every route of a configuration, for {@code thinkgate policy check
 * --probe}: what the gateway would decide at start, and whether a route sends prefills its server
 * drops.
 */
public final class PrefillProbes {
  /**
   * One route's outcome.
   *
   * @param misconfigured true when prefills on this route would not reach the model intact: an
   *     explicit {@code vllm}/{@code sglang} route whose template drops or re-wraps them, or an
   *     {@code auto} route the probe could not resolve
   */
  public record Outcome(RouteConfig route, PrefillRoute decision, boolean misconfigured) {}

  private PrefillProbes() {}

  public static Future<List<Outcome>> probeAll(Vertx vertx, GatewayConfig config,
      Function<String, String> env) {
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000));
    List<Future<Outcome>> outcomes = new ArrayList<>();
    for (RouteConfig rc : config.routes()) {
      if (rc.dialect() == UpstreamDialect.COMPLETIONS) {
        outcomes.add(Future.succeededFuture(new Outcome(rc, PrefillRoute.completions(
            rc.chatTemplate(), "configured: dialect completions, template " + rc.chatTemplate()),
            false)));
        continue;
      }
      String base = UpstreamRoute.normalizeBase(rc.upstream());
      UpstreamRoute route = new UpstreamRoute(rc, client, new UpstreamPools(vertx,
          UpstreamOrigin.parse(base), 5_000, null), base,
          rc.apiKeyEnv() == null ? null : env.apply(rc.apiKeyEnv()));
      outcomes.add(PrefillProbe.probe(route).map(d -> new Outcome(rc, d,
          rc.dialect() == UpstreamDialect.AUTO || rc.dialect() == UpstreamDialect.SGLANG
              ? !d.prefillSafe() && d.state() != PrefillRoute.State.UNPROBED
              : d.path() != PrefillRoute.Path.CHAT || !d.prefillSafe()
                  && d.state() != PrefillRoute.State.UNPROBED)));
    }
    return Future.all(outcomes).map(all -> {
      List<Outcome> list = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        list.add(all.resultAt(i));
      }
      return list;
    }).eventually(() -> client.close());
  }
}
