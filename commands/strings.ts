/** Placeholder. @module */
import { definePlugin } from "../mod.ts";
export default definePlugin({ name: "strings", commands: [] });
