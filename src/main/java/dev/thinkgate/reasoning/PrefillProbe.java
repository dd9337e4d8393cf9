package dev.thinkgate.reasoning;

import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.reasoning.jinja.ChatTemplateException;
import dev.thinkgate.reasoning.jinja.JinjaChatTemplates;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Learns how a route's server treats a prefill ({@code dialect: auto}). vLLM serves
 * {@code POST /tokenize} with the chat form, rendering exactly what a chat request would render
 * (serving_tokenization.py → the same chat_utils path as serving_chat.py), and
 * {@code POST /detokenize}. For each prefill the modes send, the probe compares
 * <ol>
 *   <li>the chat path: the prefill as the final assistant message with
 *       {@code continue_final_message} (a 400 = the template dropped it), with
 *   <li>the generation prompt ({@code add_generation_prompt}) + the prefill (never
 *       {@code <think>\n} twice).
 * </ol>
 * All equal: the chat path keeps prefills. Otherwise the completions path, with the published
 * template whose generation prompt equals the server's (detected, or the route's
 * {@code chat_template} when it matches). A server without {@code /tokenize} (SGLang, 404) cannot
 * show its rendering: a route naming its {@code chat_template} takes the completions path with it;
 * one that does not stays on the chat path, unverified.
 */
public final class PrefillProbe {
  /** A conversation every template renders; nothing in it depends on the model. */
  static final String PROBE_USER = "ThinkGate prefill probe: what is 2+2?";
  /** The shapes of the prefills the modes send: closed thoughts, an open thought. */
  static final List<String> PREFILLS = List.of(
      ThoughtText.ZEROTHINK_PREFILL,
      ThoughtText.LESSTHINK_PREFILL,
      ThoughtText.OPEN + "Four. Wait",
      ThoughtText.OPEN + "Four.\n" + ThoughtText.CLOSE_AND_ANSWER);

  /** The HTTP calls the probe makes, so tests can answer them without a server. */
  public interface Transport {
    /** POST {@code path} with a JSON body; a failed future for a connection error. */
    Future<Reply> post(String path, JsonObject body);
  }

  /** @param body the JSON reply, or an empty object when it was not JSON */
  public record Reply(int status, JsonObject body) {}

  /** Which path a route's prefills take. */
  public enum PrefillPath { CHAT, COMPLETIONS }

  /**
   * A route's decision.
   *
   * @param path where prefills go
   * @param template the published template used for completions prompts, or null
   * @param prefillsKept true: a prefill reaches the model as sent (chat path verified, or the
   *     completions path); false: the chat path is used although the server drops or rewraps
   *     prefills (no matching template to render with) — {@code policy check --probe} fails
   * @param verified false when the server could not show its rendering
   * @param reason one line for logs, {@code /admin/config} and {@code policy check --probe}
   */
  public record Decision(PrefillPath path, String template, boolean prefillsKept,
      boolean verified, String reason) {
    public Decision {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(reason, "reason");
    }

    /** Before (or without) a probe: what the configured dialect does. */
    public static Decision configured(RouteConfig route) {
      return switch (route.dialect()) {
        case COMPLETIONS -> new Decision(PrefillPath.COMPLETIONS,
            route.chatTemplate() == null ? "deepseek-r1" : route.chatTemplate(), true, false,
            "dialect completions (configured)");
        case AUTO -> new Decision(PrefillPath.CHAT, route.chatTemplate(), true, false,
            "dialect auto, not probed yet: chat path");
        default -> new Decision(PrefillPath.CHAT, route.chatTemplate(), true, false,
            "dialect " + route.dialect().name().toLowerCase(java.util.Locale.ROOT)
                + " (configured)");
      };
    }

    /** The route as the reasoning runners see it: {@code auto} replaced by the decision. */
    public RouteConfig apply(RouteConfig route) {
      if (route.dialect() != UpstreamDialect.AUTO) {
        return route;
      }
      UpstreamDialect dialect = path == PrefillPath.COMPLETIONS
          ? UpstreamDialect.COMPLETIONS : UpstreamDialect.VLLM;
      return new RouteConfig(route.model(), route.upstream(), dialect, route.upstreamModel(),
          route.apiKeyEnv(), template, route.enableThinkingKwarg(), route.implicitThinkOpen(),
          route.timeouts(), route.healthPath());
    }

    /**
     * The route for MoreThink: its rounds run on raw text (the completions path) wherever a
     * template to render with is known, even when the chat path keeps prefills, so no
     * reasoning-parser quirk (vLLM holding back a pending stop string and then dropping it with
     * {@code </think>}) can truncate a thought that the next round continues.
     */
    public RouteConfig applyForRawText(RouteConfig route) {
      if (route.dialect() != UpstreamDialect.AUTO || path == PrefillPath.COMPLETIONS
          || template == null) {
        return apply(route);
      }
      return new Decision(PrefillPath.COMPLETIONS, template, true, verified, reason)
          .apply(route);
    }

    public JsonObject toJson() {
      return new JsonObject().put("path", path.name().toLowerCase(java.util.Locale.ROOT))
          .put("template", template).put("prefills_kept", prefillsKept)
          .put("verified", verified).put("reason", reason);
    }
  }

  private final Transport transport;
  private final JinjaChatTemplates templates;

  public PrefillProbe(Transport transport, JinjaChatTemplates templates) {
    this.transport = Objects.requireNonNull(transport, "transport");
    this.templates = Objects.requireNonNull(templates, "templates");
  }

  /**
   * Probes {@code route}; never fails (a probe error becomes an unverified chat-path decision).
   *
   * @param model the model name the server knows
   */
  public Future<Decision> probe(RouteConfig route, String model) {
    if (route.dialect() != UpstreamDialect.AUTO) {
      return Future.succeededFuture(Decision.configured(route));
    }
    JsonArray conversation = new JsonArray()
        .add(new JsonObject().put("role", "user").put("content", PROBE_USER));
    JsonObject generation = tokenizeChat(model, conversation).put("add_generation_prompt", true);
    return transport.post("/tokenize", generation)
        .compose(reply -> {
          if (reply.status() == 404) {
            return Future.succeededFuture(noTokenize(route));
          }
          if (reply.status() != 200) {
            return Future.succeededFuture(unverified(route, "/tokenize answered "
                + reply.status()));
          }
          return detokenize(model, reply.body()).compose(generationPrompt -> {
            List<Future<String>> continued = new ArrayList<>();
            for (String prefill : PREFILLS) {
              continued.add(chatRendering(model, conversation, prefill));
            }
            return Future.join(continued).map(all -> decide(route, generationPrompt,
                continued.stream().map(Future::result).toList()));
          });
        })
        .recover(e -> Future.succeededFuture(unverified(route, "probe failed: " + e.getMessage())));
  }

  private static JsonObject tokenizeChat(String model, JsonArray messages) {
    return new JsonObject().put("model", model).put("messages", messages)
        .put("add_special_tokens", false);
  }

  /** The server's chat rendering of {@code prefill}, or null when it refuses (400). */
  private Future<String> chatRendering(String model, JsonArray conversation, String prefill) {
    JsonArray messages = conversation.copy()
        .add(new JsonObject().put("role", "assistant").put("content", prefill));
    JsonObject body = tokenizeChat(model, messages).put("add_generation_prompt", false)
        .put("continue_final_message", true);
    return transport.post("/tokenize", body).compose(reply -> {
      if (reply.status() == 400) {
        return Future.succeededFuture(null);
      }
      if (reply.status() != 200) {
        return Future.failedFuture("/tokenize answered " + reply.status());
      }
      return detokenize(model, reply.body());
    });
  }

  private Future<String> detokenize(String model, JsonObject tokenized) {
    JsonArray tokens = tokenized.getJsonArray("tokens");
    if (tokens == null) {
      return Future.failedFuture("/tokenize reply has no tokens");
    }
    return transport.post("/detokenize", new JsonObject().put("model", model).put("tokens", tokens))
        .compose(reply -> reply.status() == 200 && reply.body().getValue("prompt") instanceof String p
            ? Future.succeededFuture(p)
            : Future.failedFuture("/detokenize answered " + reply.status()));
  }

  /** {@code chatRenderings[i]}: the server's chat prompt for {@code PREFILLS[i]}, null = 400. */
  Decision decide(RouteConfig route, String generationPrompt, List<String> chatRenderings) {
    List<String> lost = new ArrayList<>();
    for (int i = 0; i < PREFILLS.size(); i++) {
      String expected = UpstreamCalls.continued(generationPrompt, PREFILLS.get(i));
      if (!expected.equals(chatRenderings.get(i))) {
        lost.add(chatRenderings.get(i) == null ? "refused" : "rewritten");
      }
    }
    String template = matchingTemplate(route, generationPrompt);
    if (lost.isEmpty()) {
      return new Decision(PrefillPath.CHAT, template, true, true,
          "chat path: the server's template keeps every prefill");
    }
    String how = lost.contains("refused") ? "refuses (400)" : "rewrites";
    if (template == null) {
      return new Decision(PrefillPath.CHAT, null, false, true, "the server's template " + how
          + " prefills on the chat path and no shipped template matches its generation prompt;"
          + " set chat_template or dialect completions");
    }
    return new Decision(PrefillPath.COMPLETIONS, template, true, true,
        "completions path with template " + template + ": the chat path " + how + " prefills");
  }

  /** The route's chat_template, or the first shipped one, whose generation prompt is the server's. */
  private String matchingTemplate(RouteConfig route, String generationPrompt) {
    List<String> candidates = new ArrayList<>();
    if (route.chatTemplate() != null) {
      candidates.add(route.chatTemplate());
    }
    candidates.addAll(JinjaChatTemplates.NAMES);
    List<Map<String, Object>> conversation = List.of(Map.of("role", "user", "content", PROBE_USER));
    for (String name : candidates) {
      try {
        if (templates.render(name, conversation, true, false, Map.of()).equals(generationPrompt)) {
          return name;
        }
      } catch (ChatTemplateException e) {
        // not this template
      }
    }
    return null;
  }

  private static Decision noTokenize(RouteConfig route) {
    if (route.chatTemplate() != null) {
      return new Decision(PrefillPath.COMPLETIONS, route.chatTemplate(), true, false,
          "no /tokenize (SGLang?): completions path with the configured template "
              + route.chatTemplate());
    }
    return new Decision(PrefillPath.CHAT, null, true, false, "no /tokenize (SGLang?) and no"
        + " chat_template: chat path, prefills unverified; set chat_template");
  }

  private static Decision unverified(RouteConfig route, String why) {
    if (route.chatTemplate() != null) {
      return new Decision(PrefillPath.COMPLETIONS, route.chatTemplate(), true, false,
          why + ": completions path with the configured template " + route.chatTemplate());
    }
    return new Decision(PrefillPath.CHAT, null, true, false, why + ": chat path, unverified");
  }
}
