package dev.thinkgate.reasoning.jinja;

/**
 * The three spots where Jinjava's expression parser differs from Python Jinja2 on the shipped
 * templates, rewritten to equivalent Jinjava syntax before parsing. The published text stays
 * untouched in the resources; each rewrite is checked by JinjaChatTemplatesTest.
 */
final class JinjavaDialect {
  private JinjavaDialect() {}

  static String adapt(String source) {
    return source
        // Jinjava has no slice step; Python's [::-1] over a list is the reverse filter.
        .replace("messages[::-1]", "messages|reverse")
        // Jinjava binds a filter inside a keyword argument before the subtraction.
        .replace("last_query_index=messages|length - 1", "last_query_index=(messages|length - 1)")
        // Python applies a test before "not"; Jinjava negates the variable first.
        .replace("not add_generation_prompt is defined", "add_generation_prompt is not defined");
  }
}
