// The fixed word lists and tables of the TPC-H specification (section 4.2.2.13 and 4.2.3): colours,
// part types and containers, segments, priorities, ship instructions and modes, nations, regions.

/** P_NAME is five distinct words from these 92 colours. */
export const colors = (
  'almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood burnished ' +
  'chartreuse chiffon chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab firebrick ' +
  'floral forest frosted gainsboro ghost goldenrod green grey honeydew hot indian ivory khaki lace ' +
  'lavender lawn lemon light lime linen magenta maroon medium metallic midnight mint misty moccasin ' +
  'navajo navy olive orange orchid pale papaya peach peru pink plum powder puff purple red rose rosy ' +
  'royal saddle salmon sandy seashell sienna sky slate smoke snow spring steel tan thistle tomato ' +
  'turquoise violet wheat white yellow'
).split(' ');

/** P_TYPE = one syllable from each list (150 types). */
export const typeSyllables = [
  ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'],
  ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'],
  ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'],
] as const;

/** P_CONTAINER = one syllable from each list (40 containers). */
export const containerSyllables = [
  ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'],
  ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'],
] as const;

export const segments = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'] as const;
export const priorities = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'] as const;
export const shipInstructions = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'] as const;
export const shipModes = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'] as const;

export const regions = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'] as const;

/** [name, regionkey] in nationkey order. */
export const nations: readonly (readonly [string, number])[] = [
  ['ALGERIA', 0], ['ARGENTINA', 1], ['BRAZIL', 1], ['CANADA', 1], ['EGYPT', 4],
  ['ETHIOPIA', 0], ['FRANCE', 3], ['GERMANY', 3], ['INDIA', 2], ['INDONESIA', 2],
  ['IRAN', 4], ['IRAQ', 4], ['JAPAN', 2], ['JORDAN', 4], ['KENYA', 0],
  ['MOROCCO', 0], ['MOZAMBIQUE', 0], ['PERU', 1], ['CHINA', 2], ['ROMANIA', 3],
  ['SAUDI ARABIA', 4], ['VIETNAM', 2], ['RUSSIA', 3], ['UNITED KINGDOM', 3], ['UNITED STATES', 1],
];

// The text grammar's vocabulary (spec 4.2.2.14). Weights are ours: common words repeat, so that
// LIKE patterns in the queries ('%special%requests%') match a realistic share of rows.
const weighted = (spec: string): string[] =>
  spec.split(',').flatMap((item) => {
    const [word, weight] = item.split(':') as [string, string | undefined];
    return new Array<string>(Number(weight ?? 1)).fill(word.trim());
  });

export const grammarWords = {
  nouns: weighted(
    'packages:40,requests:40,accounts:40,deposits:40,foxes:20,ideas:20,theodolites:20,pinto beans:20,instructions:20,' +
      'dependencies:10,excuses:10,platelets:10,asymptotes:10,courts:5,dolphins:5,multipliers,sauternes,warthogs,frets,' +
      'dinos,attainments,somas,Tiresias,patterns,forges,braids,hockey players,frays,warhorses,dugouts,notornis,' +
      'epitaphs,pearls,tithes,waters,orbits,gifts,sheaves,depths,sentiments,decoys,realms,pains,grouches,escapades',
  ),
  verbs: weighted(
    'sleep:20,wake:20,are:20,cajole:20,haggle:20,nag:10,use:10,boost:10,affix:5,detect:5,integrate:5,maintain,' +
      'nod,was,lose,sublate,solve,thrash,promise,engage,hinder,print,x-ray,breach,eat,grow,impress,mold,poach,' +
      'serve,run,dazzle,snooze,doze,unwind,kindle,play,hang,believe,doubt',
  ),
  adjectives: weighted(
    'special:20,pending:20,unusual:20,express:20,furious,sly,careful,blithe,quick,fluffy,slow,quiet,ruthless,' +
      'thin,close,dogged,daring,brave,stealthy,permanent,enticing,idle,busy,regular:50,final:40,ironic:40,even:30,' +
      'bold:20,silent:10',
  ),
  adverbs: weighted(
    'sometimes,always,never,furiously:150,slyly:150,carefully:150,blithely:125,quickly:90,fluffily:60,slowly,quietly,' +
      'ruthlessly,thinly,closely,doggedly,daringly,bravely,stealthily,permanently,enticingly,idly,busily,' +
      'regularly,finally,ironically,evenly,boldly,silently',
  ),
  prepositions: weighted(
    'about:50,above:50,according to:50,across:50,after:50,against:40,along:40,alongside of:30,among:30,' +
      'around:20,at:10,atop,before,behind,beneath,beside,besides,between,beyond,by,despite,during,except,for,' +
      'from,in place of,inside,instead of,into,near,of,on,outside,over,past,since,through,throughout,to,' +
      'toward,under,until,up,upon,without,with,within',
  ),
  auxiliaries: weighted(
    'do:6,may:6,might:6,shall:6,will:6,would:6,can:6,could:6,should:6,ought to,must:6,will have to,shall have to,' +
      'could have to,should have to,must have to,need to,try to',
  ),
  // Written out: ':' is itself a terminator, so the 'word:weight' form cannot express it.
  terminators: [...new Array<string>(20).fill('.'), ';', ':', '?', '!', '--'],
};
