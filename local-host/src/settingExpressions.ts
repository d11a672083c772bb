/**
 * Replaces every `%Name%` in a configuration value with app setting Name, as the Functions host's name resolver
 * does. A setting that is unset or empty is a start-up error: `<where> '<text>' needs app setting <Name>, which is
 * not set` (`where` names what held the expression: a binding property, a host.json field).
 */
export const resolveSettingExpressions = (
  text: string,
  settings: Readonly<Record<string, string | undefined>>,
  where: string,
): string =>
  text.replace(/%([^%]+)%/g, (_, name: string) => {
    const value = settings[name];
    if (value === undefined || value === "")
      throw new Error(`${where} '${text}' needs app setting ${name}, which is not set`);
    return value;
  });
