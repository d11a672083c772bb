import { app } from "@azure/functions";

import { config } from "../config";

// Failure policy: a bad setting stops start-up with a message naming the setting (never its value), instead of
// failing later on the first event or request.
app.hook.appStart(() => {
  config();
});
