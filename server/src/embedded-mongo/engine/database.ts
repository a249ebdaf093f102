import { Collection } from "./collection.js";

/** All databases of one embedded server: name → collection name → Collection. */
export class Store {
  readonly databases = new Map<string, Map<string, Collection>>();

  collection(db: string, name: string, create: boolean): Collection | undefined {
    let d = this.databases.get(db);
    if (!d) {
      if (!create) return undefined;
      d = new Map();
      this.databases.set(db, d);
    }
    let c = d.get(name);
    if (!c && create) {
      c = new Collection(name);
      d.set(name, c);
    }
    return c;
  }

  dropCollection(db: string, name: string): boolean {
    return this.databases.get(db)?.delete(name) ?? false;
  }

  dropDatabase(db: string): void {
    this.databases.delete(db);
  }
}
